//! Test fixtures for the store's tests: temporary stores and record builders. Every
//! store test builds its data here, so the shapes stay in one place.

use std::collections::BTreeMap;
use std::path::PathBuf;

use community_protocol::{
    CategoryInfo, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot,
    JoinPolicy, Media, MemberInfo, Mentions, Message, MessageContent, NotificationStatus, Priority,
    Role, Seq,
};
use tempfile::TempDir;

use super::{OutboxEntry, OutboxState, SessionRecord, Store, StoreOptions};

/// The user every fixture is about.
pub(crate) const ME: &str = "alice";

/// A temporary directory holding one store file.
pub(crate) struct TempStore {
    /// The open store.
    pub(crate) store: Store,
    /// The file.
    pub(crate) path: PathBuf,
    /// Keeps the directory alive.
    pub(crate) _dir: TempDir,
}

impl TempStore {
    /// Closes the store and opens the same file again.
    pub(crate) async fn reopen(self) -> TempStore {
        self.reopen_with(StoreOptions::default()).await
    }

    /// Closes the store and opens the same file again with `options`.
    pub(crate) async fn reopen_with(self, options: StoreOptions) -> TempStore {
        let TempStore { store, path, _dir } = self;
        store.close().await;
        let store = Store::open_with(&path, options).await.unwrap();
        TempStore { store, path, _dir }
    }
}

/// A fresh store in a new temporary directory.
pub(crate) async fn temp_store() -> TempStore {
    temp_store_with(StoreOptions::default()).await
}

/// A fresh store opened with `options`, in a new temporary directory.
pub(crate) async fn temp_store_with(options: StoreOptions) -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    let store = Store::open_with(&path, options).await.unwrap();
    TempStore {
        store,
        path,
        _dir: dir,
    }
}

/// The id of channel `n` of community `community`.
pub(crate) fn channel_id(community: &str, n: usize) -> String {
    format!("{community}-ch{n:03}")
}

/// A community with one category and `channels` channels (channel 0 is the default),
/// each with a head.
pub(crate) fn snapshot(community: &str, channels: usize, version: u64) -> CommunitySnapshot {
    let category = CategoryInfo {
        community_id: community.into(),
        category_id: format!("{community}-cat").into(),
        name: "General".into(),
        position: 0,
        overrides: Vec::new(),
    };
    let channel_infos: Vec<ChannelInfo> = (0..channels).map(|n| channel(community, n)).collect();
    let heads = (0..channels).map(|n| head(community, n, 10, 4)).collect();
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: community.into(),
            name: format!("Community {community}"),
            avatar_url: "https://example.invalid/a.png".into(),
            notice: "be nice".into(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Approval,
            mute_all: false,
            member_count: 42,
            attributes: BTreeMap::from([("lang".to_string(), "en".to_string())]),
            default_channel_id: channel_id(community, 0).into(),
            created_at_ms: 1_700_000_000_000,
            version,
            system_messages: true,
        },
        categories: vec![category],
        channels: channel_infos,
        me: member(community, Role::Admin),
        notification: NotificationStatus::Notify,
        heads,
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

/// Channel `n` of `community` (in its category, private when `n` is odd).
pub(crate) fn channel(community: &str, n: usize) -> ChannelInfo {
    ChannelInfo {
        community_id: community.into(),
        channel_id: channel_id(community, n).into(),
        name: format!("channel {n}"),
        introduction: "intro".into(),
        notice: String::new(),
        custom: "{}".into(),
        kind: if n % 3 == 2 {
            ChannelKind::Voice
        } else {
            ChannelKind::Text
        },
        category_id: Some(format!("{community}-cat").into()),
        position: n as i64,
        private: n % 2 == 1,
        is_default: n == 0,
        created_at_ms: 1_700_000_000_000 + n as i64,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

/// The head of channel `n` with `last_seq` and `read_seq`.
pub(crate) fn head(community: &str, n: usize, last_seq: Seq, read_seq: Seq) -> ChannelHead {
    ChannelHead {
        community_id: community.into(),
        channel_id: channel_id(community, n).into(),
        last_seq,
        last_activity_ms: 1_700_000_100_000,
        read_seq,
        unread_count: last_seq - read_seq,
        mention_count: 1,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

/// My membership in `community`.
pub(crate) fn member(community: &str, role: Role) -> MemberInfo {
    MemberInfo {
        community_id: community.into(),
        user_id: ME.into(),
        role,
        nickname: "Al".into(),
        joined_at_ms: 1_700_000_000_500,
        muted_until_ms: None,
        groups: Vec::new(),
        custom_fields: Default::default(),
    }
}

/// Message `seq` of `channel` in `community`; the body kind varies with `seq`.
pub(crate) fn message(community: &str, channel: &str, seq: Seq) -> Message {
    let content = match seq % 4 {
        0 => MessageContent::Text {
            text: format!("message {seq}"),
        },
        1 => MessageContent::Image(Media {
            url: format!("https://example.invalid/{seq}.png"),
            name: "p.png".into(),
            mime: "image/png".into(),
            size: 1234,
            width: Some(640),
            height: Some(480),
            duration_ms: None,
        }),
        2 => MessageContent::Custom {
            data: format!("{{\"n\":{seq}}}"),
            description: "custom".into(),
        },
        _ => MessageContent::System {
            event: "member_joined".into(),
            text: "bob joined".into(),
        },
    };
    Message {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        sender_id: if seq.is_multiple_of(2) {
            ME.into()
        } else {
            "bob".into()
        },
        idempotency_key: format!("{channel}-k{seq}"),
        content,
        mentions: if seq.is_multiple_of(5) {
            Mentions {
                users: vec![ME.into()],
                everyone: false,
                groups: Vec::new(),
            }
        } else {
            Mentions::default()
        },
        reply_to: (seq.is_multiple_of(7) && seq > 1).then(|| seq - 1),
        priority: if seq.is_multiple_of(3) {
            Priority::High
        } else {
            Priority::Normal
        },
        created_at_ms: 1_700_000_000_000 + seq as i64,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    }
}

/// Messages with the given sequences.
pub(crate) fn messages(
    community: &str,
    channel: &str,
    seqs: impl IntoIterator<Item = Seq>,
) -> Vec<Message> {
    seqs.into_iter()
        .map(|seq| message(community, channel, seq))
        .collect()
}

/// The sequences of `messages`, in order.
pub(crate) fn seqs(messages: &[Message]) -> Vec<Seq> {
    messages.iter().map(|m| m.seq).collect()
}

/// An outbox entry in state `sending`.
pub(crate) fn outbox_entry(
    key: &str,
    community: &str,
    channel: &str,
    created_at_ms: i64,
) -> OutboxEntry {
    OutboxEntry {
        idempotency_key: key.into(),
        community_id: community.into(),
        channel_id: channel.into(),
        content: MessageContent::Text {
            text: format!("hello from {key}"),
        },
        mentions: Mentions {
            users: vec!["bob".into()],
            everyone: true,
            groups: Vec::new(),
        },
        reply_to: Some(3),
        priority: Priority::Low,
        created_at_ms,
        state: OutboxState::Sending,
        custom_data: String::new(),
        forward_of: None,
    }
}

/// The message the server would store for `entry` as `seq`.
pub(crate) fn sent_message(entry: &OutboxEntry, seq: Seq) -> Message {
    Message {
        community_id: entry.community_id.clone(),
        channel_id: entry.channel_id.clone(),
        seq,
        sender_id: ME.into(),
        idempotency_key: entry.idempotency_key.clone(),
        content: entry.content.clone(),
        mentions: entry.mentions.clone(),
        reply_to: entry.reply_to,
        priority: entry.priority,
        created_at_ms: entry.created_at_ms + 5,
        custom_data: String::new(),
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    }
}

/// A session record.
pub(crate) fn session(last_event_seq: u64) -> SessionRecord {
    SessionRecord {
        user_id: ME.into(),
        device_id: "device-1".into(),
        session_id: "s_123".into(),
        last_event_seq,
    }
}

/// Reads `PRAGMA user_version` and `journal_mode` through a separate raw connection.
pub(crate) fn raw_pragmas(path: &std::path::Path) -> (i64, String) {
    let connection = rusqlite::Connection::open(path).unwrap();
    let version = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    let mode = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    (version, mode)
}
