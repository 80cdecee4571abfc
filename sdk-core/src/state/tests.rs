//! Unit tests of the aggregates: community sums, totals, do-not-disturb.

use community_protocol::{
    ChangeKind, ChannelHead, ChannelInfo, ChannelKind, CommunityInfo, CommunitySnapshot,
    JoinPolicy, MemberInfo, Mentions, Message, MessageChange, MessageContent, NotificationStatus,
    Priority, Role,
};

use crate::model::MessageUpdate;
use rand::{Rng, SeedableRng};

use super::*;

pub(crate) fn head(
    community: &str,
    channel: &str,
    last_seq: u64,
    read_seq: u64,
    unread: u64,
    mentions: u64,
) -> ChannelHead {
    ChannelHead {
        community_id: community.into(),
        channel_id: channel.into(),
        last_seq,
        last_activity_ms: 0,
        read_seq,
        unread_count: unread,
        mention_count: mentions,
        change_seq: 0,
        hidden: Vec::new(),
        notification_level: Default::default(),
    }
}

fn channel(community: &str, channel: &str) -> ChannelInfo {
    ChannelInfo {
        community_id: community.into(),
        channel_id: channel.into(),
        name: channel.into(),
        introduction: String::new(),
        notice: String::new(),
        custom: String::new(),
        kind: ChannelKind::Text,
        category_id: None,
        position: 0,
        private: false,
        is_default: false,
        created_at_ms: 0,
        overrides: Vec::new(),
        follows_category: false,
        mute_all: false,
    }
}

pub(crate) fn snapshot(
    id: &str,
    heads: Vec<ChannelHead>,
    notification: NotificationStatus,
) -> CommunitySnapshot {
    CommunitySnapshot {
        info: CommunityInfo {
            community_id: id.into(),
            name: id.into(),
            avatar_url: String::new(),
            notice: String::new(),
            owner_id: "owner".into(),
            join_policy: JoinPolicy::Free,
            mute_all: false,
            member_count: 2,
            attributes: Default::default(),
            default_channel_id: heads
                .first()
                .map(|h| h.channel_id.clone())
                .unwrap_or_default(),
            created_at_ms: 0,
            version: 1,
            system_messages: true,
        },
        categories: vec![],
        channels: heads
            .iter()
            .map(|h| channel(id, h.channel_id.as_str()))
            .collect(),
        me: MemberInfo {
            community_id: id.into(),
            user_id: "me".into(),
            role: Role::Member,
            nickname: String::new(),
            joined_at_ms: 0,
            muted_until_ms: None,
            groups: Vec::new(),
            custom_fields: Default::default(),
        },
        notification,
        heads,
        groups: Vec::new(),
        threads: Vec::new(),
        voice: Vec::new(),
    }
}

pub(crate) fn message(
    community: &str,
    channel: &str,
    seq: u64,
    sender: &str,
    mention_me: bool,
) -> Message {
    Message {
        community_id: community.into(),
        channel_id: channel.into(),
        seq,
        sender_id: sender.into(),
        idempotency_key: format!("k{seq}"),
        content: MessageContent::Text { text: "hi".into() },
        mentions: Mentions {
            users: if mention_me {
                vec!["me".into()]
            } else {
                vec![]
            },
            everyone: false,
            groups: Vec::new(),
        },
        reply_to: None,
        priority: Priority::Normal,
        created_at_ms: 0,
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

fn state() -> State {
    State::from_snapshots(
        Some("me".into()),
        vec![
            snapshot(
                "a",
                vec![head("a", "a1", 10, 5, 5, 1), head("a", "a2", 3, 0, 3, 0)],
                NotificationStatus::Notify,
            ),
            snapshot(
                "b",
                vec![head("b", "b1", 7, 0, 7, 2)],
                NotificationStatus::DoNotDisturb,
            ),
        ],
    )
}

#[test]
fn totals_skip_do_not_disturb_but_keep_its_mentions() {
    let state = state();
    assert_eq!(
        state
            .community_unread(&CommunityId::from("a"))
            .map(|c| c.unread_count),
        Some(8)
    );
    assert_eq!(
        state
            .community_unread(&CommunityId::from("b"))
            .map(|c| c.unread_count),
        Some(7)
    );
    assert_eq!(
        state.totals(),
        UnreadTotals {
            total_unread: 8,
            total_mentions: 3
        }
    );
}

#[test]
fn events_move_the_counts_and_publish_them() {
    let mut state = state();
    let mut out = Vec::new();
    state.on_message(&message("a", "a1", 11, "bob", true), &mut out);
    state.on_message(&message("a", "a1", 12, "me", false), &mut out);
    state.on_message(&message("b", "b1", 8, "bob", true), &mut out);
    assert_eq!(
        state
            .channel_unread(&CommunityId::from("a"), &ChannelId::from("a1"))
            .map(|c| (c.unread_count, c.mention_count)),
        Some((6, 2))
    );
    assert_eq!(
        state.totals(),
        UnreadTotals {
            total_unread: 9,
            total_mentions: 5
        }
    );
    let published: Vec<(u64, u64)> = out
        .iter()
        .filter_map(|p| match p {
            Publication::Unread(change) => change
                .channels
                .first()
                .map(|c| (c.last_seq, c.unread_count)),
            _ => None,
        })
        .collect();
    assert_eq!(
        published,
        vec![(11, 6), (12, 6), (8, 8)],
        "own message moves last_seq only"
    );
}

#[test]
fn notification_changes_move_the_total() {
    let mut state = state();
    let mut out = Vec::new();
    state.set_notification(
        &CommunityId::from("b"),
        NotificationStatus::Notify,
        &mut out,
    );
    assert_eq!(state.totals().total_unread, 15);
    state.set_notification(
        &CommunityId::from("a"),
        NotificationStatus::DoNotDisturb,
        &mut out,
    );
    assert_eq!(state.totals().total_unread, 7);
    assert_eq!(state.totals().total_mentions, 3);
}

#[test]
fn removing_a_community_removes_its_counts() {
    let mut state = state();
    let mut out = Vec::new();
    assert!(state.remove_community(&CommunityId::from("a"), &mut out));
    assert_eq!(
        state.totals(),
        UnreadTotals {
            total_unread: 0,
            total_mentions: 2
        }
    );
    assert!(!state.remove_community(&CommunityId::from("a"), &mut out));
    assert!(
        state
            .community_entries()
            .iter()
            .all(|c| c.info.community_id == "b")
    );
}

#[test]
fn read_state_from_another_device_clears_the_channel() {
    let mut state = state();
    let mut out = Vec::new();
    state.apply_head(&head("a", "a1", 10, 10, 0, 0), false, &mut out);
    assert_eq!(
        state
            .community_unread(&CommunityId::from("a"))
            .map(|c| (c.unread_count, c.mention_count)),
        Some((3, 0))
    );
    assert_eq!(
        state.totals(),
        UnreadTotals {
            total_unread: 3,
            total_mentions: 2
        }
    );
}

#[test]
fn incremental_totals_match_a_full_recount_after_random_operations() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut state = state();
    let mut out = Vec::new();
    let channels = [("a", "a1"), ("a", "a2"), ("b", "b1")];
    for _ in 0..2_000 {
        let (community, channel) = channels[rng.random_range(0..channels.len())];
        match rng.random_range(0..10) {
            0 => {
                let (last, read) = state
                    .channel(&CommunityId::from(community), &ChannelId::from(channel))
                    .map(|c| (c.counter.last_seq, c.counter.read_seq))
                    .unwrap_or_default();
                let read = rng.random_range(read..=last);
                state.apply_head(
                    &head(community, channel, last, read, last - read, 0),
                    false,
                    &mut out,
                );
            }
            1 => {
                let status = if rng.random_bool(0.5) {
                    NotificationStatus::Notify
                } else {
                    NotificationStatus::DoNotDisturb
                };
                state.set_notification(&CommunityId::from(community), status, &mut out);
            }
            2 => {
                let last = state
                    .channel(&CommunityId::from(community), &ChannelId::from(channel))
                    .map(|c| c.counter.last_seq)
                    .unwrap_or(0);
                state.apply_head(
                    &head(community, channel, last + 1, last, 1, 0),
                    rng.random_bool(0.5),
                    &mut out,
                );
            }
            _ => {
                let last = state
                    .channel(&CommunityId::from(community), &ChannelId::from(channel))
                    .map(|c| c.counter.last_seq)
                    .unwrap_or(0);
                let seq = last + rng.random_range(0..3);
                let sender = if rng.random_bool(0.2) { "me" } else { "bob" };
                state.on_message(
                    &message(community, channel, seq, sender, rng.random_bool(0.1)),
                    &mut out,
                );
            }
        }
        let mut recount = State::from_snapshots(Some("me".into()), state.snapshots());
        recount.recompute_totals();
        assert_eq!(state.totals(), recount.totals());
        for community in ["a", "b"] {
            assert_eq!(
                state.community_unread(&CommunityId::from(community)),
                recount.community_unread(&CommunityId::from(community))
            );
        }
    }
}

#[test]
fn absurd_server_heads_saturate_instead_of_overflowing() {
    let huge = u64::MAX - 1;
    let mut state = State::from_snapshots(
        Some("me".into()),
        vec![
            snapshot(
                "a",
                vec![
                    head("a", "a1", 10, 0, huge, huge),
                    head("a", "a2", 3, 0, 3, 3),
                ],
                NotificationStatus::Notify,
            ),
            snapshot(
                "b",
                vec![head("b", "b1", 7, 0, huge, 0)],
                NotificationStatus::Notify,
            ),
        ],
    );
    assert_eq!(state.totals().total_unread, u64::MAX);
    assert_eq!(
        state
            .community_unread(&CommunityId::from("a"))
            .map(|c| c.mention_count),
        Some(u64::MAX)
    );
    let mut out = Vec::new();
    for seq in 11..14 {
        state.on_message(&message("a", "a1", seq, "other", true), &mut out);
    }
    let a1 = state
        .channel_unread(&CommunityId::from("a"), &ChannelId::from("a1"))
        .unwrap();
    assert_eq!((a1.unread_count, a1.mention_count), (u64::MAX, u64::MAX));
    // A read position above the last sequence (another device read ahead) counts nothing,
    // and later messages up to it stay read: exact, never negative.
    state.apply_head(&head("a", "a2", 3, 50, 0, 0), true, &mut out);
    state.on_message(&message("a", "a2", 9, "other", false), &mut out);
    assert_eq!(
        state
            .channel_unread(&CommunityId::from("a"), &ChannelId::from("a2"))
            .map(|c| c.unread_count),
        Some(0)
    );
    state.on_message(&message("a", "a2", 52, "other", false), &mut out);
    assert_eq!(
        state
            .channel_unread(&CommunityId::from("a"), &ChannelId::from("a2"))
            .map(|c| c.unread_count),
        Some(2)
    );
}

fn recall(
    channel: &str,
    change_seq: u64,
    seq: u64,
    sender: &str,
    mentioned: bool,
) -> MessageChange {
    MessageChange {
        community_id: "a".into(),
        channel_id: channel.into(),
        change_seq,
        seq,
        by: "admin".into(),
        at_ms: 0,
        kind: ChangeKind::Recalled {
            sender_id: sender.into(),
            mentions: Mentions {
                users: if mentioned { vec!["me".into()] } else { vec![] },
                everyone: false,
                groups: Vec::new(),
            },
        },
    }
}

#[test]
fn changes_uncount_only_what_counted_and_hidden_messages_leave_the_counts_and_timelines() {
    let mut state = state();
    let mut out = Vec::new();
    let a1 = |state: &State| {
        state
            .channel_unread(&CommunityId::from("a"), &ChannelId::from("a1"))
            .map(|c| (c.unread_count, c.mention_count))
    };
    state.on_message(&message("a", "a1", 11, "bob", true), &mut out);
    state.on_message(&message("a", "a1", 12, "me", false), &mut out);
    state.on_message(&message("a", "a1", 13, "", false), &mut out); // server-written
    assert_eq!(a1(&state), Some((6, 2)));

    // Bob's #11 recalled: one unread and one mention fewer, and the totals follow.
    assert_eq!(
        state.on_change(&recall("a1", 1, 11, "bob", true), &mut out),
        Some(Effect::Applied)
    );
    assert_eq!(a1(&state), Some((5, 1)));
    assert_eq!(state.totals().total_unread, 8);
    // My own #12 and the server's #13 never counted: recalling them changes nothing.
    state.on_change(&recall("a1", 2, 12, "me", false), &mut out);
    state.on_change(&recall("a1", 3, 13, "", false), &mut out);
    assert_eq!(a1(&state), Some((5, 1)));

    // The server hides #10 for me (another device): it leaves the timelines at once.
    out.clear();
    let mut hidden = head("a", "a1", 13, 5, 4, 1);
    hidden.change_seq = 3;
    hidden.hidden = vec![10];
    state.apply_head(&hidden, false, &mut out);
    assert!(out.iter().any(|p| matches!(
        p,
        Publication::Message {
            update: MessageUpdate::Removed { seq: 10 },
            ..
        }
    )));
    assert_eq!(a1(&state), Some((4, 1)));
    // A recall of the hidden #10 does not count it out twice.
    state.on_change(&recall("a1", 4, 10, "bob", false), &mut out);
    assert_eq!(a1(&state), Some((4, 1)));
    assert!(state.hidden(&"a".into(), &"a1".into()).contains(&10));
}

#[test]
fn channel_notification_levels_decide_what_reaches_the_sums() {
    use community_protocol::ChannelNotification;
    let mut state = state();
    let mut out = Vec::new();
    let a = CommunityId::from("a");
    let sums = |state: &State| {
        let c = state
            .community_unread(&a)
            .map(|c| (c.unread_count, c.mention_count));
        let t = state.totals();
        (c, t.total_unread, t.total_mentions)
    };
    // a1: 5 unread, 1 mention; a2: 3 unread. Totals also hold b's 2 mentions (DND).
    assert_eq!(sums(&state), (Some((8, 1)), 8, 3));
    let mut mentions_only = head("a", "a1", 10, 5, 5, 1);
    mentions_only.notification_level = ChannelNotification::MentionsOnly;
    state.apply_head(&mentions_only, true, &mut out);
    assert_eq!(sums(&state), (Some((3, 1)), 3, 3));
    // The channel keeps its own counts.
    assert_eq!(
        state
            .channel_unread(&a, &ChannelId::from("a1"))
            .map(|c| (c.unread_count, c.mention_count)),
        Some((5, 1))
    );
    // New messages there move only what the level lets through.
    state.on_message(&message("a", "a1", 11, "bob", true), &mut out);
    assert_eq!(sums(&state), (Some((3, 2)), 3, 4));
    let mut none = head("a", "a1", 11, 5, 6, 2);
    none.notification_level = ChannelNotification::None;
    state.apply_head(&none, true, &mut out);
    assert_eq!(sums(&state), (Some((3, 0)), 3, 2));
    let all = head("a", "a1", 11, 5, 6, 2);
    state.apply_head(&all, true, &mut out);
    assert_eq!(sums(&state), (Some((9, 2)), 9, 4));
}

#[test]
fn group_mentions_count_for_holders_and_permissions_come_from_the_cache() {
    use community_protocol::{Group, GroupId, Override, OverrideTarget, Permissions};
    let mut state = state();
    let mut out = Vec::new();
    let a = CommunityId::from("a");
    let mut me = state.community(&a).map(|c| c.me.clone()).unwrap();
    me.groups = vec![GroupId::from("raiders")];
    state.set_me(me, &mut out);
    let group = |id: &str, position, permissions| Group {
        community_id: a.clone(),
        group_id: id.into(),
        name: id.into(),
        color: 0,
        position,
        mentionable: true,
        permissions,
    };
    state.set_groups(
        &a,
        vec![
            group("everyone", 0, Permissions::EVERYONE_DEFAULT),
            group("raiders", 1, Permissions::MANAGE_MESSAGES),
        ],
        None,
        &mut out,
    );
    let mut raid_call = message("a", "a1", 11, "bob", false);
    raid_call.mentions.groups = vec![GroupId::from("raiders")];
    state.on_message(&raid_call, &mut out);
    assert_eq!(
        state
            .channel_unread(&a, &ChannelId::from("a1"))
            .map(|c| c.mention_count),
        Some(2)
    );
    let a1 = ChannelId::from("a1");
    let held = state.channel_permissions(&a, &a1).unwrap();
    assert!(held.contains(Permissions::MANAGE_MESSAGES.union(Permissions::SEND_MESSAGES)));
    // A channel override denying the group's send takes it away, with the server's code.
    let mut channel = state.channel(&a, &a1).unwrap().info.clone();
    channel.overrides = vec![Override {
        target: OverrideTarget::Group {
            group_id: "raiders".into(),
        },
        allow: Permissions::NONE,
        deny: Permissions::SEND_MESSAGES,
    }];
    state.upsert_channel(channel, None, &mut out);
    assert!(
        !state
            .channel_permissions(&a, &a1)
            .unwrap()
            .contains(Permissions::SEND_MESSAGES)
    );
    let refused = state.require_op("send_message", &a, Some(&a1)).unwrap_err();
    assert_eq!(
        refused.code,
        community_protocol::ErrorCode::PERMISSION_DENIED
    );
    assert!(state.require_op("pin_message", &a, Some(&a1)).is_ok());
    assert!(state.require_op("kick_member", &a, None).is_err());
}

#[test]
fn joined_threads_count_at_their_channels_level_and_leave_the_sums_when_left() {
    use community_protocol::{ChannelNotification, ThreadInfo};
    let mut state = state();
    let mut out = Vec::new();
    let a = CommunityId::from("a");
    let thread = ThreadInfo {
        community_id: a.clone(),
        thread_id: "th_1".into(),
        parent_channel_id: "a1".into(),
        parent_seq: Some(3),
        name: "plans".into(),
        created_by: "bob".into(),
        created_at_ms: 0,
        archived: false,
        locked: false,
        auto_archive_ms: 86_400_000,
        last_activity_ms: 0,
        message_count: 4,
        member_count: 2,
    };
    let sums = |state: &State| {
        state
            .community_unread(&a)
            .map(|c| (c.unread_count, c.mention_count))
    };
    assert_eq!(sums(&state), Some((8, 1)));
    state.join_thread(
        thread.clone(),
        Some(&head("a", "th_1", 4, 1, 3, 1)),
        &mut out,
    );
    assert_eq!(sums(&state), Some((11, 2)));
    // A message in the thread counts like one in a channel.
    state.on_message(&message("a", "th_1", 5, "bob", false), &mut out);
    assert_eq!(sums(&state), Some((12, 2)));
    assert_eq!(
        state
            .counter(&a, &ChannelId::from("th_1"))
            .map(|c| c.unread),
        Some(4)
    );
    // The thread counts at its channel's level.
    let mut quiet = head("a", "a1", 10, 5, 5, 1);
    quiet.notification_level = ChannelNotification::MentionsOnly;
    state.apply_head(&quiet, true, &mut out);
    assert_eq!(sums(&state), Some((3, 2)));
    // The snapshot holds the joined thread and its head.
    let snapshot = state.community(&a).map(|c| c.snapshot()).unwrap();
    assert_eq!(snapshot.threads, vec![thread]);
    assert!(
        snapshot
            .heads
            .iter()
            .any(|h| h.channel_id.as_str() == "th_1")
    );
    assert!(state.leave_thread(&a, &ChannelId::from("th_1"), &mut out));
    assert_eq!(sums(&state), Some((3, 1)));
}
