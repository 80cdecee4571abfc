//! The numbered schema migrations of the PostgreSQL engine. `schema_migrations` holds the
//! number of migrations applied; opening runs the missing ones in one transaction under a
//! transaction-scoped advisory lock, so several nodes starting at once migrate once and a
//! crash mid-migration leaves the previous version intact. Migrations are append-only:
//! never edit a released one.
//!
//! Migration 1 is the schema of SQLite migrations 1–9 written for PostgreSQL: `BIGINT`
//! for integers, `BOOLEAN` for flags, `JSONB` where SQLite stores JSON text (mentions,
//! forwarding origins, change bodies, profile fields; message content stays `TEXT`, read
//! back byte for byte), identity columns where SQLite uses row ids. Migration 2 is the
//! search index (`tsvector` + GIN, kept inside each write: see `search`).

use postgres::Client;
use tracing::info;

use crate::StoreError;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[V1_INITIAL, V2_SEARCH];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The advisory lock key migrations hold (any constant; "cmty" in ASCII).
const MIGRATION_LOCK: i64 = 0x636d_7479;

/// Applies the missing migrations; returns the schema version now.
pub(super) fn migrate(client: &mut Client) -> Result<u32, StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     BIGINT PRIMARY KEY,
             applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    let found = u32::try_from(found).unwrap_or(u32::MAX);
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )?;
        info!(version, "postgres schema migration applied");
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}

/// Version 1: SQLite migrations 1–9 (without the search index).
const V1_INITIAL: &str = r#"
-- Every text column compares byte for byte (`COLLATE "C"`), as SQLite's BINARY does, so
-- orders and range conditions match the SQLite engine whatever the database's locale.
-- `fold_case` folds case Unicode-aware (ICU's root locale), as the SQLite engine's
-- `fold_case` function (Rust's `to_lowercase`) does for member search.
CREATE FUNCTION fold_case(TEXT) RETURNS TEXT
    AS $$ SELECT lower($1 COLLATE "und-x-icu") $$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;

CREATE TABLE communities (
    community_id        TEXT COLLATE "C" PRIMARY KEY,
    name                TEXT COLLATE "C" NOT NULL,
    avatar_url          TEXT COLLATE "C" NOT NULL,
    notice              TEXT COLLATE "C" NOT NULL,
    owner_id            TEXT COLLATE "C" NOT NULL,
    join_policy         TEXT COLLATE "C" NOT NULL,
    mute_all            BOOLEAN NOT NULL,
    member_count        BIGINT NOT NULL DEFAULT 0,
    default_channel_id  TEXT COLLATE "C" NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    version             BIGINT NOT NULL,
    system_messages     BOOLEAN NOT NULL DEFAULT TRUE,
    access_stamp        BIGINT NOT NULL DEFAULT 0
);
INSERT INTO communities (community_id, name, avatar_url, notice, owner_id, join_policy,
                         mute_all, member_count, default_channel_id, created_at_ms, version,
                         system_messages)
    VALUES ('@me', '@me', '', '', '', 'invite_only', FALSE, 0, '', 0, 0, FALSE);

CREATE TABLE attributes (
    community_id  TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    key           TEXT COLLATE "C" NOT NULL,
    value         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community_id, key)
);

CREATE TABLE members (
    community_id    TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id         TEXT COLLATE "C" NOT NULL,
    role            TEXT COLLATE "C" NOT NULL,
    nickname        TEXT COLLATE "C" NOT NULL DEFAULT '',
    joined_at_ms    BIGINT NOT NULL,
    muted_until_ms  BIGINT,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX members_by_join ON members (community_id, joined_at_ms, user_id);
CREATE INDEX members_by_user ON members (user_id, joined_at_ms, community_id);
CREATE INDEX members_by_role ON members (community_id, role);

CREATE TABLE join_requests (
    community_id     TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id          TEXT COLLATE "C" NOT NULL,
    message          TEXT COLLATE "C" NOT NULL,
    requested_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (community_id, user_id)
);

CREATE TABLE categories (
    category_id    TEXT COLLATE "C" PRIMARY KEY,
    community_id   TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    name           TEXT COLLATE "C" NOT NULL,
    position       BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX categories_by_community ON categories (community_id, position);

CREATE TABLE channels (
    channel_id         TEXT COLLATE "C" PRIMARY KEY,
    community_id       TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    name               TEXT COLLATE "C" NOT NULL,
    introduction       TEXT COLLATE "C" NOT NULL,
    notice             TEXT COLLATE "C" NOT NULL,
    custom             TEXT COLLATE "C" NOT NULL,
    kind               TEXT COLLATE "C" NOT NULL,
    category_id        TEXT COLLATE "C" REFERENCES categories(category_id) ON DELETE SET NULL,
    position           BIGINT NOT NULL,
    private            BOOLEAN NOT NULL,
    is_default         BOOLEAN NOT NULL,
    created_at_ms      BIGINT NOT NULL,
    last_seq           BIGINT NOT NULL DEFAULT 0,
    last_activity_ms   BIGINT NOT NULL,
    change_seq         BIGINT NOT NULL DEFAULT 0,
    mute_all           BOOLEAN NOT NULL DEFAULT FALSE,
    follows_category   BOOLEAN NOT NULL DEFAULT FALSE,
    parent_channel_id  TEXT COLLATE "C" REFERENCES channels(channel_id) ON DELETE CASCADE
);
CREATE INDEX channels_by_community ON channels (community_id, position);
CREATE INDEX channels_by_category ON channels (category_id);
CREATE INDEX channels_by_parent ON channels (parent_channel_id, last_activity_ms)
    WHERE parent_channel_id IS NOT NULL;

CREATE TABLE channel_members (
    channel_id  TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_by_user ON channel_members (user_id);

-- `content` is the JSON of the protocol's MessageContent, kept as text (read back byte
-- for byte); `mentions` and `forwarded_from` are JSONB.
CREATE TABLE messages (
    channel_id       TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    seq              BIGINT NOT NULL,
    community_id     TEXT COLLATE "C" NOT NULL,
    sender_id        TEXT COLLATE "C" NOT NULL,
    idempotency_key  TEXT COLLATE "C" NOT NULL,
    content          TEXT COLLATE "C" NOT NULL,
    mentions         JSONB NOT NULL,
    reply_to         BIGINT,
    priority         TEXT COLLATE "C" NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    custom_data      TEXT COLLATE "C" NOT NULL DEFAULT '',
    edited_at_ms     BIGINT,
    edit_count       BIGINT NOT NULL DEFAULT 0,
    forwarded_from   JSONB,
    PRIMARY KEY (channel_id, seq)
);
CREATE INDEX messages_by_sender ON messages (channel_id, sender_id, seq);

CREATE TABLE idempotency (
    sender_id        TEXT COLLATE "C" NOT NULL,
    idempotency_key  TEXT COLLATE "C" NOT NULL,
    channel_id       TEXT COLLATE "C" NOT NULL,
    seq              BIGINT NOT NULL,
    PRIMARY KEY (sender_id, idempotency_key),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX idempotency_by_message ON idempotency (channel_id, seq);

-- user_id '' stands for @everyone (user ids are never empty).
CREATE TABLE mentions (
    channel_id  TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    sender_id   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel_id, user_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX mentions_by_message ON mentions (channel_id, seq);

CREATE TABLE read_positions (
    user_id     TEXT COLLATE "C" NOT NULL,
    channel_id  TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    read_seq    BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);
CREATE INDEX read_positions_by_channel ON read_positions (channel_id);

CREATE TABLE notification_settings (
    user_id       TEXT COLLATE "C" NOT NULL,
    community_id  TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    status        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, community_id)
);
CREATE INDEX notification_by_community ON notification_settings (community_id);

-- `body` is the JSON of the protocol's ChangeKind (tagged by `change`).
CREATE TABLE message_changes (
    channel_id  TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    change_seq  BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    by_user     TEXT COLLATE "C" NOT NULL,
    at_ms       BIGINT NOT NULL,
    body        JSONB NOT NULL,
    PRIMARY KEY (channel_id, change_seq)
);
CREATE INDEX message_changes_by_message ON message_changes (channel_id, seq);

CREATE TABLE edit_keys (
    editor_id        TEXT COLLATE "C" NOT NULL,
    idempotency_key  TEXT COLLATE "C" NOT NULL,
    channel_id       TEXT COLLATE "C" NOT NULL,
    seq              BIGINT NOT NULL,
    change_seq       BIGINT NOT NULL,
    PRIMARY KEY (editor_id, idempotency_key),
    FOREIGN KEY (channel_id, change_seq)
        REFERENCES message_changes(channel_id, change_seq) ON DELETE CASCADE
);
CREATE INDEX edit_keys_by_change ON edit_keys (channel_id, change_seq);

-- `reaction_id` orders reactions by time (emoji by first use, users oldest first).
CREATE TABLE reactions (
    reaction_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id   TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    emoji        TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    at_ms        BIGINT NOT NULL,
    UNIQUE (channel_id, seq, emoji, user_id),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);

CREATE TABLE pins (
    channel_id  TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    by_user     TEXT COLLATE "C" NOT NULL,
    at_ms       BIGINT NOT NULL,
    PRIMARY KEY (channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX pins_by_time ON pins (channel_id, at_ms);

-- Messages that count as unread for nobody: recalled, or written by the server.
CREATE TABLE uncounted (
    channel_id  TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    sender_id   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);

CREATE TABLE hidden (
    user_id     TEXT COLLATE "C" NOT NULL,
    channel_id  TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    sender_id   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX hidden_by_message ON hidden (channel_id, seq);

-- `permissions` holds the flag bits as a signed 64-bit integer (bit-for-bit).
CREATE TABLE permission_groups (
    community_id  TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    group_id      TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    color         BIGINT NOT NULL,
    position      BIGINT NOT NULL,
    mentionable   BOOLEAN NOT NULL,
    permissions   BIGINT NOT NULL,
    PRIMARY KEY (community_id, group_id)
);

CREATE TABLE member_groups (
    community_id  TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    group_id      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community_id, user_id, group_id),
    FOREIGN KEY (community_id, user_id)
        REFERENCES members(community_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (community_id, group_id)
        REFERENCES permission_groups(community_id, group_id) ON DELETE CASCADE
);
CREATE INDEX member_groups_by_group ON member_groups (community_id, group_id, user_id);

-- `target_kind` is 'group' or 'member'.
CREATE TABLE channel_overrides (
    channel_id   TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    target_kind  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    allow        BIGINT NOT NULL,
    deny         BIGINT NOT NULL,
    PRIMARY KEY (channel_id, target_kind, target_id)
);

CREATE TABLE category_overrides (
    category_id  TEXT COLLATE "C" NOT NULL REFERENCES categories(category_id) ON DELETE CASCADE,
    target_kind  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    allow        BIGINT NOT NULL,
    deny         BIGINT NOT NULL,
    PRIMARY KEY (category_id, target_kind, target_id)
);

CREATE TABLE bans (
    community_id  TEXT COLLATE "C" NOT NULL REFERENCES communities(community_id) ON DELETE CASCADE,
    user_id       TEXT COLLATE "C" NOT NULL,
    by_user       TEXT COLLATE "C" NOT NULL,
    reason        TEXT COLLATE "C" NOT NULL,
    at_ms         BIGINT NOT NULL,
    until_ms      BIGINT,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX bans_by_time ON bans (community_id, at_ms);

-- Only levels other than 'all' are stored.
CREATE TABLE channel_notifications (
    user_id     TEXT COLLATE "C" NOT NULL,
    channel_id  TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    level       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);
CREATE INDEX channel_notifications_by_channel ON channel_notifications (channel_id);

CREATE TABLE member_fields (
    community_id  TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    key           TEXT COLLATE "C" NOT NULL,
    value         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community_id, user_id, key),
    FOREIGN KEY (community_id, user_id)
        REFERENCES members(community_id, user_id) ON DELETE CASCADE
);
CREATE INDEX member_fields_by_value ON member_fields (community_id, key, value, user_id);

CREATE TABLE group_mentions (
    channel_id  TEXT COLLATE "C" NOT NULL,
    group_id    TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    sender_id   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel_id, group_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX group_mentions_by_message ON group_mentions (channel_id, seq);

CREATE TABLE threads (
    thread_id          TEXT COLLATE "C" PRIMARY KEY REFERENCES channels(channel_id) ON DELETE CASCADE,
    parent_channel_id  TEXT COLLATE "C" NOT NULL,
    parent_seq         BIGINT,
    created_by         TEXT COLLATE "C" NOT NULL,
    archived           BOOLEAN NOT NULL DEFAULT FALSE,
    locked             BOOLEAN NOT NULL DEFAULT FALSE,
    auto_archive_ms    BIGINT NOT NULL,
    participant_count  BIGINT NOT NULL DEFAULT 0,
    digest_seq         BIGINT NOT NULL DEFAULT 0,
    digest_sender_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    digest_text        TEXT COLLATE "C" NOT NULL DEFAULT '',
    digest_at_ms       BIGINT NOT NULL DEFAULT 0
);
-- One thread per message (free-standing threads have no `parent_seq`: NULLs differ).
CREATE UNIQUE INDEX threads_by_message ON threads (parent_channel_id, parent_seq);

CREATE TABLE thread_members (
    thread_id     TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id       TEXT COLLATE "C" NOT NULL,
    joined_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_members_by_user ON thread_members (user_id, thread_id);

CREATE TABLE conversations (
    conversation_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES channels(channel_id) ON DELETE CASCADE,
    kind             TEXT COLLATE "C" NOT NULL,
    created_by       TEXT COLLATE "C" NOT NULL,
    direct_low       TEXT COLLATE "C",
    direct_high      TEXT COLLATE "C"
);
CREATE UNIQUE INDEX conversations_direct ON conversations (direct_low, direct_high);

CREATE TABLE conversation_members (
    conversation_id  TEXT COLLATE "C" NOT NULL REFERENCES channels(channel_id) ON DELETE CASCADE,
    user_id          TEXT COLLATE "C" NOT NULL,
    joined_at_ms     BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_by_user ON conversation_members (user_id, conversation_id);

CREATE TABLE users (
    user_id        TEXT COLLATE "C" PRIMARY KEY,
    first_seen_ms  BIGINT NOT NULL
);

CREATE TABLE dm_policies (
    user_id  TEXT COLLATE "C" PRIMARY KEY,
    policy   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE blocks (
    blocker_id  TEXT COLLATE "C" NOT NULL,
    blocked_id  TEXT COLLATE "C" NOT NULL,
    at_ms       BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE profiles (
    user_id        TEXT COLLATE "C" PRIMARY KEY,
    display_name   TEXT COLLATE "C" NOT NULL,
    avatar_url     TEXT COLLATE "C" NOT NULL,
    fields         JSONB NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);

CREATE TABLE push_tokens (
    token             TEXT COLLATE "C" PRIMARY KEY,
    user_id           TEXT COLLATE "C" NOT NULL,
    platform          TEXT COLLATE "C" NOT NULL,
    registered_at_ms  BIGINT NOT NULL
);
CREATE INDEX push_tokens_by_user ON push_tokens (user_id, registered_at_ms);

CREATE TABLE presence_choices (
    user_id       TEXT COLLATE "C" PRIMARY KEY,
    status        TEXT COLLATE "C" NOT NULL,
    chosen_at_ms  BIGINT NOT NULL
);
"#;

/// Version 2: message search. One row per message with searchable text, written in the
/// message's own transaction (insert, edit, recall; deletions cascade): `doc_id` is the
/// message's position (`created_at_ms << 20` plus its rank in that millisecond, as in the
/// SQLite engine), `body` the protocol's index tokens as a `tsvector` built token by token
/// (no text-search parser or dictionary: the protocol already cut and lower-cased them),
/// `scope_id` the channel whose readers may read it (a thread's channel, else the stream).
const V2_SEARCH: &str = r#"
CREATE TABLE message_search_docs (
    doc_id        BIGINT PRIMARY KEY,
    channel_id    TEXT COLLATE "C" NOT NULL,
    seq           BIGINT NOT NULL,
    scope_id      TEXT COLLATE "C" NOT NULL,
    community_id  TEXT COLLATE "C" NOT NULL,
    sender_id     TEXT COLLATE "C" NOT NULL,
    body          TSVECTOR NOT NULL,
    UNIQUE (channel_id, seq),
    FOREIGN KEY (channel_id, seq) REFERENCES messages(channel_id, seq) ON DELETE CASCADE
);
CREATE INDEX message_search_body ON message_search_docs USING GIN (body);
CREATE INDEX message_search_by_community ON message_search_docs (community_id, doc_id);
"#;
