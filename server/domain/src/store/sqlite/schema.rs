//! The numbered schema migrations. The database's `PRAGMA user_version` is the number of
//! migrations applied; opening runs the missing ones, each in its own transaction, so a
//! reopen of an up-to-date file changes nothing and a crash mid-migration leaves the
//! previous version intact. Migrations are append-only: never edit a released one.

use rusqlite::Connection;
use tracing::info;

use crate::StoreError;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
pub(super) const MIGRATIONS: &[&str] = &[
    V1_INITIAL,
    V2_MESSAGE_LIFE,
    V3_PERMISSIONS,
    V4_THREADS,
    V5_PEOPLE,
    V6_SEARCH,
    V7_DEFERRED_SEARCH,
    V8_PUSH_TOKENS,
    V9_PRESENCE_CHOICES,
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Applies the missing migrations; returns the schema version now.
pub(super) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        info!(version, "schema migration applied");
    }
    Ok(SCHEMA_VERSION)
}

/// Version 1: communities, members, channels, messages and read state.
const V1_INITIAL: &str = r#"
CREATE TABLE communities (
    community_id        TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    avatar_url          TEXT NOT NULL,
    notice              TEXT NOT NULL,
    owner_id            TEXT NOT NULL,
    join_policy         TEXT NOT NULL,
    mute_all            INTEGER NOT NULL,
    member_count        INTEGER NOT NULL DEFAULT 0,
    default_channel_id  TEXT NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    version             INTEGER NOT NULL
);

CREATE TABLE attributes (
    community_id  TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (community_id, key)
) WITHOUT ROWID;

CREATE TABLE members (
    community_id    TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,
    nickname        TEXT NOT NULL DEFAULT '',
    joined_at_ms    INTEGER NOT NULL,
    muted_until_ms  INTEGER,
    PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_join ON members (community_id, joined_at_ms, user_id);
CREATE INDEX members_by_user ON members (user_id, joined_at_ms, community_id);
CREATE INDEX members_by_role ON members (community_id, role);

CREATE TABLE join_requests (
    community_id     TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    message          TEXT NOT NULL,
    requested_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;

CREATE TABLE categories (
    category_id    TEXT PRIMARY KEY NOT NULL,
    community_id   TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL
);
CREATE INDEX categories_by_community ON categories (community_id, position);

CREATE TABLE channels (
    channel_id        TEXT PRIMARY KEY NOT NULL,
    community_id      TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    introduction      TEXT NOT NULL,
    notice            TEXT NOT NULL,
    custom            TEXT NOT NULL,
    kind              TEXT NOT NULL,
    category_id       TEXT REFERENCES categories(category_id) ON DELETE SET NULL,
    position          INTEGER NOT NULL,
    private           INTEGER NOT NULL,
    is_default        INTEGER NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_activity_ms  INTEGER NOT NULL
);
CREATE INDEX channels_by_community ON channels (community_id, position);
CREATE INDEX channels_by_category ON channels (category_id);

CREATE TABLE channel_members (
    channel_id  TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_members_by_user ON channel_members (user_id);

CREATE TABLE messages (
    channel_id       TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    community_id     TEXT NOT NULL,
    sender_id        TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    content          TEXT NOT NULL,
    mentions         TEXT NOT NULL,
    reply_to         INTEGER,
    priority         TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq)
) WITHOUT ROWID;
CREATE INDEX messages_by_sender ON messages (channel_id, sender_id, seq);

CREATE TABLE idempotency (
    sender_id        TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    PRIMARY KEY (sender_id, idempotency_key),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX idempotency_by_message ON idempotency (channel_id, seq);

-- user_id '' stands for @everyone (user ids are never empty).
CREATE TABLE mentions (
    channel_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender_id   TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions (channel_id, seq);

CREATE TABLE read_positions (
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    read_seq    INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel_id)
) WITHOUT ROWID;
CREATE INDEX read_positions_by_channel ON read_positions (channel_id);

CREATE TABLE notification_settings (
    user_id       TEXT NOT NULL,
    community_id  TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    PRIMARY KEY (user_id, community_id)
) WITHOUT ROWID;
CREATE INDEX notification_by_community ON notification_settings (community_id);
"#;

/// Version 2: the life of a message after it was sent. Edits, recalls, reactions and pins
/// are numbered per channel (`channels.change_seq`) and logged for ever
/// (`message_changes`); edit idempotency keys; reactions; pins; the per-user hidden
/// messages; `uncounted`, the messages that count as unread for nobody (recalled or
/// written by the server), so heads stay index lookups; the community's system-message
/// switch.
const V2_MESSAGE_LIFE: &str = r#"
ALTER TABLE communities ADD COLUMN system_messages INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN custom_data TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN edited_at_ms INTEGER;
ALTER TABLE messages ADD COLUMN edit_count INTEGER NOT NULL DEFAULT 0;
-- JSON of the protocol's Origin, or NULL.
ALTER TABLE messages ADD COLUMN forwarded_from TEXT;

-- `body` is the JSON of the protocol's ChangeKind (tagged by `change`).
CREATE TABLE message_changes (
    channel_id  TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    change_seq  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    by_user     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (channel_id, change_seq)
) WITHOUT ROWID;
CREATE INDEX message_changes_by_message ON message_changes (channel_id, seq);

CREATE TABLE edit_keys (
    editor_id        TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    change_seq       INTEGER NOT NULL,
    PRIMARY KEY (editor_id, idempotency_key),
    FOREIGN KEY (channel_id, change_seq)
        REFERENCES message_changes(channel_id, change_seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX edit_keys_by_change ON edit_keys (channel_id, change_seq);

-- The rowid orders reactions by time (emoji by first use, users oldest first).
CREATE TABLE reactions (
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    emoji       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    UNIQUE (channel_id, seq, emoji, user_id),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);

CREATE TABLE pins (
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    by_user     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX pins_by_time ON pins (channel_id, at_ms);

-- Messages that count as unread for nobody: recalled, or written by the server.
CREATE TABLE uncounted (
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender_id   TEXT NOT NULL,
    PRIMARY KEY (channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE hidden (
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender_id   TEXT NOT NULL,
    PRIMARY KEY (user_id, channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX hidden_by_message ON hidden (channel_id, seq);
"#;

/// Version 3: roles and permissions. Permission groups (every community gets its
/// `everyone` group here, with `Permissions::EVERYONE_DEFAULT` = 127), who holds them,
/// channel and category overrides, bans, per-user channel notification levels, member
/// custom fields, group mentions (an index per group, joined with the reader's groups for
/// mention counts), channel mute-all and category following, and the community's
/// `access_stamp`: a random number replaced by every change of who may see what, which
/// keys the in-memory cache of channel audiences.
const V3_PERMISSIONS: &str = r#"
ALTER TABLE communities ADD COLUMN access_stamp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN mute_all INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN follows_category INTEGER NOT NULL DEFAULT 0;

-- `permissions` holds the flag bits as a signed 64-bit integer (bit-for-bit).
CREATE TABLE permission_groups (
    community_id  TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    group_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    color         INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    mentionable   INTEGER NOT NULL,
    permissions   INTEGER NOT NULL,
    PRIMARY KEY (community_id, group_id)
) WITHOUT ROWID;
INSERT INTO permission_groups (community_id, group_id, name, color, position, mentionable,
                               permissions)
    SELECT community_id, 'everyone', '@everyone', 0, 0, 0, 127 FROM communities;

CREATE TABLE member_groups (
    community_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    PRIMARY KEY (community_id, user_id, group_id),
    FOREIGN KEY (community_id, user_id)
        REFERENCES members(community_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (community_id, group_id)
        REFERENCES permission_groups(community_id, group_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX member_groups_by_group ON member_groups (community_id, group_id, user_id);

-- `target_kind` is 'group' or 'member'.
CREATE TABLE channel_overrides (
    channel_id   TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    allow        INTEGER NOT NULL,
    deny         INTEGER NOT NULL,
    PRIMARY KEY (channel_id, target_kind, target_id)
) WITHOUT ROWID;

CREATE TABLE category_overrides (
    category_id  TEXT NOT NULL REFERENCES categories(category_id) ON DELETE CASCADE,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    allow        INTEGER NOT NULL,
    deny         INTEGER NOT NULL,
    PRIMARY KEY (category_id, target_kind, target_id)
) WITHOUT ROWID;

CREATE TABLE bans (
    community_id  TEXT NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    by_user       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    until_ms      INTEGER,
    PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;
CREATE INDEX bans_by_time ON bans (community_id, at_ms);

-- Only levels other than 'all' are stored.
CREATE TABLE channel_notifications (
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    level       TEXT NOT NULL,
    PRIMARY KEY (user_id, channel_id)
) WITHOUT ROWID;
CREATE INDEX channel_notifications_by_channel ON channel_notifications (channel_id);

CREATE TABLE member_fields (
    community_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (community_id, user_id, key),
    FOREIGN KEY (community_id, user_id)
        REFERENCES members(community_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX member_fields_by_value ON member_fields (community_id, key, value, user_id);

-- Mentions of permission groups: every holder counts them (see `reads::MENTIONS_SQL`).
CREATE TABLE group_mentions (
    channel_id  TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender_id   TEXT NOT NULL,
    PRIMARY KEY (channel_id, group_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX group_mentions_by_message ON group_mentions (channel_id, seq);
"#;

/// Version 4: threads. A thread is a row of `channels` whose `parent_channel_id` names the
/// channel it lives in, so its messages, sequences, keys, change log, pins, reactions,
/// mentions, read positions and hidden messages use the channel tables unchanged (a
/// thread's id is a channel id); deleting the channel deletes its threads (the foreign key
/// cascades). `threads` holds what only threads have: the message they started from (at
/// most one thread per message), creator, archive and lock state, auto-archive delay,
/// and the parts of the digest that would otherwise need a scan per thread (distinct
/// senders, the newest message that is not recalled). `thread_members` are the members
/// who joined.
const V4_THREADS: &str = r#"
ALTER TABLE channels ADD COLUMN parent_channel_id TEXT
    REFERENCES channels(channel_id) ON DELETE CASCADE;
-- Only threads are indexed (ordinary channels have no parent), so the messages of
-- ordinary channels never touch it.
CREATE INDEX channels_by_parent ON channels (parent_channel_id, last_activity_ms)
    WHERE parent_channel_id IS NOT NULL;

-- `digest_seq` 0: no message that is not recalled.
CREATE TABLE threads (
    thread_id          TEXT PRIMARY KEY NOT NULL
                       REFERENCES channels(channel_id) ON DELETE CASCADE,
    parent_channel_id  TEXT NOT NULL,
    parent_seq         INTEGER,
    created_by         TEXT NOT NULL,
    archived           INTEGER NOT NULL DEFAULT 0,
    locked             INTEGER NOT NULL DEFAULT 0,
    auto_archive_ms    INTEGER NOT NULL,
    participant_count  INTEGER NOT NULL DEFAULT 0,
    digest_seq         INTEGER NOT NULL DEFAULT 0,
    digest_sender_id   TEXT NOT NULL DEFAULT '',
    digest_text        TEXT NOT NULL DEFAULT '',
    digest_at_ms       INTEGER NOT NULL DEFAULT 0
);
-- One thread per message (free-standing threads have no `parent_seq`: NULLs differ).
CREATE UNIQUE INDEX threads_by_message ON threads (parent_channel_id, parent_seq);

CREATE TABLE thread_members (
    thread_id     TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    joined_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (thread_id, user_id)
) WITHOUT ROWID;
CREATE INDEX thread_members_by_user ON thread_members (user_id, thread_id);
"#;

/// Version 5: people. A conversation is a row of `channels` in the reserved community
/// `@me` (inserted here, so the channel tables' foreign key holds; it has no members,
/// groups or channels of its own and the domain never answers it as a community), so its
/// messages, sequences, keys, change log, pins, reactions, mentions, read positions and
/// hidden messages use the channel tables unchanged, as threads do. `conversations` holds
/// what only conversations have: the kind, the creator, and for a direct conversation its
/// two participants in order (`direct_low` < `direct_high`, unique: at most one per pair);
/// `conversation_members` are the participants. `users` are the users seen at a login
/// (members of communities are known too, through `members`); `dm_policies` keeps the
/// policies other than `anyone`; `blocks` who blocks whom; `profiles` the profiles ever
/// set (`fields`: the JSON object of the custom fields).
const V5_PEOPLE: &str = r#"
INSERT INTO communities (community_id, name, avatar_url, notice, owner_id, join_policy,
                         mute_all, member_count, default_channel_id, created_at_ms, version,
                         system_messages)
    VALUES ('@me', '@me', '', '', '', 'invite_only', 0, 0, '', 0, 0, 0);

CREATE TABLE conversations (
    conversation_id  TEXT PRIMARY KEY NOT NULL
                     REFERENCES channels(channel_id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    direct_low       TEXT,
    direct_high      TEXT
);
-- Groups have no pair (NULLs differ).
CREATE UNIQUE INDEX conversations_direct ON conversations (direct_low, direct_high);

CREATE TABLE conversation_members (
    conversation_id  TEXT NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    joined_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX conversation_members_by_user ON conversation_members (user_id, conversation_id);

CREATE TABLE users (
    user_id        TEXT PRIMARY KEY NOT NULL,
    first_seen_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE dm_policies (
    user_id  TEXT PRIMARY KEY NOT NULL,
    policy   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE blocks (
    blocker_id  TEXT NOT NULL,
    blocked_id  TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE profiles (
    user_id        TEXT PRIMARY KEY NOT NULL,
    display_name   TEXT NOT NULL,
    avatar_url     TEXT NOT NULL,
    fields         TEXT NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Version 6: message search. `message_search` is a contentless FTS5 index (it stores
/// tokens, not text) with two columns: `body`, the protocol's index text of a message
/// (`community_protocol::search::index_text` of its `indexable_text`, as the SQL function
/// `search_text` computes it from the stored content), and `tags`, the tokens filters
/// match exactly (`search_tags`: the community, the stream and the sender, hex-encoded).
/// `message_search_docs` maps an index row back to its message and names the channel
/// whose readers may read it (`scope_id`: a thread's channel, else the stream itself).
///
/// A message's position (`message_search_docs.doc_id`) is `created_at_ms << 20` plus its
/// rank among the messages of that millisecond, so positions follow time and a time
/// range is a range of positions. Its index row id is minus its position: FTS5 reads
/// posting lists fastest in their stored (ascending) order, which is then newest first.
/// (The mapping keeps positive ids, which it appends in order.)
///
/// (Until version 7) triggers kept the index exact inside the transaction of every write to
/// `messages`:
/// a message with searchable text is indexed when stored, re-indexed when its content
/// changes (an edit) and dropped when it has no searchable text any more (a recall) or
/// is deleted (its channel, thread or conversation deleted, its community dismissed:
/// the foreign keys cascade to `messages`, which fires the delete trigger). The
/// existing messages are indexed here, newest first (ascending row ids).
const V6_SEARCH: &str = r#"
CREATE TABLE message_search_docs (
    doc_id      INTEGER PRIMARY KEY,
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    scope_id    TEXT NOT NULL
);
CREATE UNIQUE INDEX message_search_docs_by_message ON message_search_docs (channel_id, seq);

CREATE VIRTUAL TABLE message_search USING fts5(
    body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

-- A message's position: the next free one of its millisecond (times clamped to
-- 0 ..= 2^43 - 1); its index row id is minus that.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN search_text(NEW.content) IS NOT NULL
BEGIN
    INSERT INTO message_search_docs (doc_id, channel_id, seq, scope_id)
    SELECT COALESCE(MAX(d.doc_id) + 1, b.base), NEW.channel_id, NEW.seq,
           COALESCE((SELECT parent_channel_id FROM channels WHERE channel_id = NEW.channel_id),
                    NEW.channel_id)
    FROM (SELECT MAX(0, MIN(NEW.created_at_ms, 8796093022207)) << 20 AS base) b
    LEFT JOIN message_search_docs d ON d.doc_id BETWEEN b.base AND b.base + 1048575;
    INSERT INTO message_search (rowid, body, tags)
    SELECT -doc_id, search_text(NEW.content),
           search_tags(NEW.community_id, NEW.channel_id, NEW.sender_id)
    FROM message_search_docs WHERE channel_id = NEW.channel_id AND seq = NEW.seq;
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages
BEGIN
    DELETE FROM message_search WHERE rowid =
        -(SELECT doc_id FROM message_search_docs WHERE channel_id = OLD.channel_id AND seq = OLD.seq);
    DELETE FROM message_search_docs
    WHERE channel_id = OLD.channel_id AND seq = OLD.seq AND search_text(NEW.content) IS NULL;
    INSERT INTO message_search_docs (doc_id, channel_id, seq, scope_id)
    SELECT next_id, NEW.channel_id, NEW.seq, scope_id FROM (
        SELECT COALESCE(MAX(d.doc_id) + 1, b.base) AS next_id,
               COALESCE((SELECT parent_channel_id FROM channels WHERE channel_id = NEW.channel_id),
                        NEW.channel_id) AS scope_id
        FROM (SELECT MAX(0, MIN(NEW.created_at_ms, 8796093022207)) << 20 AS base) b
        LEFT JOIN message_search_docs d ON d.doc_id BETWEEN b.base AND b.base + 1048575)
    WHERE search_text(NEW.content) IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM message_search_docs
                      WHERE channel_id = NEW.channel_id AND seq = NEW.seq);
    INSERT INTO message_search (rowid, body, tags)
    SELECT -doc_id, search_text(NEW.content),
           search_tags(NEW.community_id, NEW.channel_id, NEW.sender_id)
    FROM message_search_docs WHERE channel_id = NEW.channel_id AND seq = NEW.seq;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM message_search WHERE rowid =
        -(SELECT doc_id FROM message_search_docs WHERE channel_id = OLD.channel_id AND seq = OLD.seq);
    DELETE FROM message_search_docs WHERE channel_id = OLD.channel_id AND seq = OLD.seq;
END;

INSERT INTO message_search_docs (doc_id, channel_id, seq, scope_id)
SELECT (t.at << 20) + ROW_NUMBER() OVER (PARTITION BY t.at ORDER BY t.channel_id, t.seq) - 1,
       t.channel_id, t.seq, t.scope_id
FROM (SELECT MAX(0, MIN(m.created_at_ms, 8796093022207)) AS at, m.channel_id, m.seq,
             COALESCE(c.parent_channel_id, m.channel_id) AS scope_id
      FROM messages m JOIN channels c ON c.channel_id = m.channel_id
      WHERE search_text(m.content) IS NOT NULL) t;
INSERT INTO message_search (rowid, body, tags)
SELECT -d.doc_id, search_text(m.content), search_tags(m.community_id, m.channel_id, m.sender_id)
FROM message_search_docs d JOIN messages m ON m.channel_id = d.channel_id AND m.seq = d.seq
ORDER BY d.doc_id DESC;
"#;

/// Version 7: the search index is kept up to date *after* the write, not inside it. The
/// triggers of version 6 go; in their place, every insert, content update and deletion of
/// a message records one row in `search_pending` (the message's key, nothing else), in the
/// same transaction as the write, so the queue commits with the message and survives a
/// crash. The indexer (`sqlite::indexer`) works the queue off in short write transactions
/// of its own, reconciling each queued message with what is stored now (indexed,
/// re-indexed, or dropped from the index when it has no searchable text any more or is
/// gone), and a search first works off what is still queued, so it is exact. Messages
/// indexed by version 6 stay indexed.
const V7_DEFERRED_SEARCH: &str = r#"
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_update;
DROP TRIGGER message_search_delete;

CREATE TABLE search_pending (
    id          INTEGER PRIMARY KEY,
    channel_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL
);

CREATE TRIGGER search_pending_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO search_pending (channel_id, seq) VALUES (NEW.channel_id, NEW.seq);
END;

CREATE TRIGGER search_pending_update AFTER UPDATE OF content ON messages
BEGIN
    INSERT INTO search_pending (channel_id, seq) VALUES (OLD.channel_id, OLD.seq);
END;

CREATE TRIGGER search_pending_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO search_pending (channel_id, seq) VALUES (OLD.channel_id, OLD.seq);
END;
"#;

/// Version 8: push tokens. A token belongs to one device, so to one user at a time (the
/// token is the key); a user's tokens are read newest first when a push is handed over.
const V8_PUSH_TOKENS: &str = r#"
CREATE TABLE push_tokens (
    token             TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL,
    platform          TEXT NOT NULL,
    registered_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX push_tokens_by_user ON push_tokens (user_id, registered_at_ms);
"#;

/// Version 9 (numbered by its place in [`MIGRATIONS`]; renumber freely at a merge): the
/// presence status each user last chose, other than `online`. The transport keeps a
/// status only while a session of the user exists; the push hand-off needs it for users
/// with none (do-not-disturb silences their pushes).
const V9_PRESENCE_CHOICES: &str = r#"
CREATE TABLE presence_choices (
    user_id       TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL,
    chosen_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
"#;
