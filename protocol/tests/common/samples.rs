//! Sample values of every record, request, response and event, for the round-trip tests:
//! most optional fields set, non-ASCII text, negative positions, every enum value somewhere.

use std::collections::BTreeMap;

use community_protocol::request as rq;
use community_protocol::response::{
    AttributesOutcome, BanList, ChangeOutcome, ChangesPage, ChannelMemberList, GroupList, Heads,
    JoinRequests, LoggedIn, MembersPage, MessagesPage, Synced, TokenRefreshed, UnchangedCommunity,
    UsersOutcome,
};
use community_protocol::*;

/// The community id used by the samples.
pub const C: &str = "guild-42";
/// A base time (2026-01-01T00:00:00Z) in milliseconds.
pub const T0: i64 = 1_767_225_600_000;

/// `text` as an owned `String`.
pub fn s(text: &str) -> String {
    text.to_owned()
}

/// A community with every field set.
pub fn info() -> CommunityInfo {
    CommunityInfo {
        community_id: s(C).into(),
        name: s("Night Owls"),
        avatar_url: s("https://cdn.example.com/owl.png"),
        notice: s("Raids on Fridays"),
        owner_id: s("alice").into(),
        join_policy: JoinPolicy::Approval,
        mute_all: true,
        member_count: 3,
        attributes: BTreeMap::from([(s("region"), s("eu"))]),
        default_channel_id: s("ch_general").into(),
        created_at_ms: T0,
        version: 7,
        system_messages: false,
    }
}

/// A private channel in a category, of the given kind.
pub fn channel(kind: ChannelKind) -> ChannelInfo {
    ChannelInfo {
        community_id: s(C).into(),
        channel_id: s("ch_raids").into(),
        name: s("raids"),
        introduction: s("Plan the next raid"),
        notice: s("Friday"),
        custom: s("{\"color\":\"red\"}"),
        kind,
        category_id: Some(s("cat_games").into()),
        position: -3,
        private: true,
        is_default: false,
        created_at_ms: T0 + 60_000,
        overrides: overrides(),
        follows_category: true,
        mute_all: true,
    }
}

/// Overrides for `@everyone`, a group and a member.
pub fn overrides() -> Vec<Override> {
    vec![
        Override {
            target: OverrideTarget::Group {
                group_id: GroupId::everyone(),
            },
            allow: Permissions::NONE,
            deny: Permissions::VIEW_CHANNEL,
        },
        Override {
            target: OverrideTarget::Group {
                group_id: s("g_officers").into(),
            },
            allow: Permissions::VIEW_CHANNEL.union(Permissions::SEND_MESSAGES),
            deny: Permissions::NONE,
        },
        Override {
            target: OverrideTarget::Member {
                user_id: s("mallory").into(),
            },
            allow: Permissions::NONE,
            // A flag from a newer server is kept.
            deny: Permissions(Permissions::SEND_MESSAGES.0 | 1 << 40),
        },
    ]
}

/// `@everyone` and one other group.
pub fn groups() -> Vec<Group> {
    vec![
        Group {
            community_id: s(C).into(),
            group_id: GroupId::everyone(),
            name: s("@everyone"),
            color: 0,
            position: 0,
            mentionable: false,
            permissions: Permissions::EVERYONE_DEFAULT,
        },
        Group {
            community_id: s(C).into(),
            group_id: s("g_officers").into(),
            name: s("Officers ⚔"),
            color: 0x3366ff,
            position: 1,
            mentionable: true,
            permissions: Permissions::MANAGE_MESSAGES.union(Permissions::MUTE_MEMBERS),
        },
    ]
}

/// A muted member with a non-ASCII nickname.
pub fn member(user: &str, role: Role) -> MemberInfo {
    MemberInfo {
        community_id: s(C).into(),
        user_id: s(user).into(),
        role,
        nickname: s("Carol 🌙"),
        joined_at_ms: T0 + 100_000,
        muted_until_ms: Some(T0 + 86_400_000),
        groups: vec![s("g_officers").into()],
        custom_fields: BTreeMap::from([(s("team"), s("red 🔴"))]),
    }
}

/// A head with unread messages and a mention.
pub fn head() -> ChannelHead {
    ChannelHead {
        community_id: s(C).into(),
        channel_id: s("ch_general").into(),
        last_seq: 120,
        last_activity_ms: T0 + 3_600_000,
        read_seq: 117,
        unread_count: 2,
        mention_count: 1,
        change_seq: 40,
        hidden: vec![119],
        notification_level: ChannelNotification::MentionsOnly,
    }
}

/// A category.
pub fn category() -> CategoryInfo {
    CategoryInfo {
        community_id: s(C).into(),
        category_id: s("cat_games").into(),
        name: s("Games & Raids"),
        position: 0,
        overrides: overrides(),
    }
}

/// Media metadata with every optional field set.
pub fn media() -> Media {
    Media {
        url: s("https://cdn.example.com/raid.mp4"),
        name: s("raid.mp4"),
        mime: s("video/mp4"),
        size: 9_000_000,
        width: Some(1920),
        height: Some(1080),
        duration_ms: Some(61_000),
    }
}

/// One message body of every content type.
pub fn contents() -> Vec<MessageContent> {
    vec![
        MessageContent::Text {
            text: s("Raid at 21:00 🦉"),
        },
        MessageContent::Custom {
            data: s("{\"dice\":[3,6]}"),
            description: s("rolled 3 and 6"),
        },
        MessageContent::Image(media()),
        MessageContent::File(Media {
            url: s("https://x/rules.pdf"),
            ..Media::default()
        }),
        MessageContent::Audio(media()),
        MessageContent::Video(media()),
        MessageContent::System {
            event: s("member_joined"),
            text: s("carol joined"),
        },
        MessageContent::Recalled {
            by: s("alice").into(),
            at_ms: T0 + 3_700_000,
        },
    ]
}

/// A message with mentions, a reply and high priority.
pub fn message(content: MessageContent) -> Message {
    Message {
        community_id: s(C).into(),
        channel_id: s("ch_general").into(),
        seq: 121,
        sender_id: s("bob").into(),
        idempotency_key: s("9b1c6f1e-3f5e-4c1a-9d55-2f0e6c2b7a10"),
        content,
        mentions: Mentions {
            users: vec![s("carol").into()],
            everyone: true,
            groups: vec![s("g_officers").into()],
        },
        reply_to: Some(118),
        priority: Priority::High,
        created_at_ms: T0 + 3_660_000,
        custom_data: s("{\"flag\":\"gold\"}"),
        edited_at_ms: Some(T0 + 3_670_000),
        edit_count: 2,
        reactions: vec![Reaction {
            emoji: s("👍"),
            count: 12,
            users: vec![s("alice").into(), s("carol").into()],
            me: true,
        }],
        pinned: Some(Pin {
            by: s("alice").into(),
            at_ms: T0 + 3_680_000,
        }),
        reply_preview: Some(ReplyPreview {
            seq: 118,
            sender_id: s("alice").into(),
            text: s("Who brings potions?"),
            state: PreviewState::Edited,
        }),
        forwarded_from: Some(Origin {
            community_id: s("guild-7").into(),
            channel_id: s("ch_lobby").into(),
            seq: 5,
            sender_id: s("dave").into(),
            created_at_ms: T0,
        }),
        thread: Some(super::thread_samples::digest()),
    }
}

/// Names message 121 of the general channel.
pub fn msgref() -> MessageRef {
    MessageRef {
        community_id: s(C).into(),
        channel_id: s("ch_general").into(),
        seq: 121,
    }
}

/// A change of every kind to message 121.
pub fn changes() -> Vec<MessageChange> {
    let kinds = vec![
        ChangeKind::Edited {
            content: MessageContent::Text {
                text: s("Raid at 21:30 🦉"),
            },
            mentions: Mentions {
                users: vec![s("dave").into()],
                everyone: false,
                groups: Vec::new(),
            },
            previous_mentions: Mentions {
                users: vec![s("carol").into()],
                everyone: false,
                groups: Vec::new(),
            },
            custom_data: s("{\"flag\":\"gold\"}"),
            edit_count: 1,
        },
        ChangeKind::Recalled {
            sender_id: s("bob").into(),
            mentions: Mentions {
                users: vec![s("dave").into()],
                everyone: false,
                groups: Vec::new(),
            },
        },
        ChangeKind::ReactionAdded {
            emoji: s("👍"),
            count: 3,
            users: vec![s("alice").into(), s("carol").into(), s("bob").into()],
        },
        ChangeKind::ReactionRemoved {
            emoji: s(":party:"),
            count: 0,
            users: vec![],
        },
        ChangeKind::Pinned,
        ChangeKind::Unpinned,
    ];
    kinds
        .into_iter()
        .zip(1..)
        .map(|(kind, n)| MessageChange {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            change_seq: 40 + n,
            seq: 121,
            by: s("bob").into(),
            at_ms: T0 + 3_700_000 + i64::from(u8::try_from(n).unwrap_or(0)),
            kind,
        })
        .collect()
}

/// A full community snapshot.
pub fn snapshot() -> CommunitySnapshot {
    CommunitySnapshot {
        info: info(),
        categories: vec![category()],
        channels: vec![
            channel(ChannelKind::Text),
            channel(ChannelKind::Announcement),
        ],
        me: member("carol", Role::Member),
        notification: NotificationStatus::DoNotDisturb,
        heads: vec![head()],
        groups: groups(),
        threads: vec![super::thread_samples::thread()],
        voice: vec![super::people_samples::participant("bob")],
    }
}

/// An error with `code` and a message naming it.
pub fn api_error(code: ErrorCode) -> ApiError {
    ApiError::new(code, format!("{} happened", code.name()))
}

/// Names the sample community.
pub fn cref() -> rq::CommunityRef {
    rq::CommunityRef {
        community_id: s(C).into(),
    }
}

/// Names a member of the sample community.
pub fn mref(user: &str) -> rq::MemberRef {
    rq::MemberRef {
        community_id: s(C).into(),
        user_id: s(user).into(),
    }
}

/// Names a private channel of the sample community.
pub fn chref() -> rq::ChannelRef {
    rq::ChannelRef {
        community_id: s(C).into(),
        channel_id: s("ch_officers").into(),
    }
}

/// Two users of a private channel.
pub fn channel_members() -> rq::ChannelMembers {
    rq::ChannelMembers {
        community_id: s(C).into(),
        channel_id: s("ch_officers").into(),
        user_ids: vec![s("carol").into(), s("dave").into()],
    }
}

/// One request of every op, with most optional fields set.
pub fn all_requests() -> Vec<Request> {
    vec![
        Request::Login(rq::Login {
            user_id: s("carol").into(),
            token: s("v1.Y2Fyb2w.1767312000.00"),
            device_id: s("pixel-8"),
            resume: Some(rq::Resume {
                session_id: s("s_5d1e9c"),
                last_event_seq: 12,
            }),
        }),
        Request::RefreshToken(rq::RefreshToken {
            token: s("v1.Y2Fyb2w.1767398400.00"),
        }),
        Request::Logout(rq::Empty {}),
        Request::Sync(rq::Sync {
            known: BTreeMap::from([(s(C).into(), 7), (s("old-guild").into(), 3)]),
        }),
        Request::CreateCommunity(rq::CreateCommunity {
            community_id: Some(s(C).into()),
            name: s("Night Owls"),
            avatar_url: s("https://cdn.example.com/owl.png"),
            notice: s("Raids on Fridays"),
            join_policy: JoinPolicy::InviteOnly,
            attributes: BTreeMap::from([(s("region"), s("eu"))]),
            system_messages: Some(false),
        }),
        Request::DismissCommunity(cref()),
        Request::JoinCommunity(rq::JoinCommunity {
            community_id: s(C).into(),
            message: s("Hi, I play healer"),
        }),
        Request::LeaveCommunity(cref()),
        Request::InviteMembers(rq::InviteMembers {
            community_id: s(C).into(),
            user_ids: vec![s("dave").into(), s("erin").into()],
        }),
        Request::ListJoinRequests(cref()),
        Request::DecideJoinRequest(rq::DecideJoinRequest {
            community_id: s(C).into(),
            user_id: s("frank").into(),
            approve: false,
        }),
        Request::ListJoinedCommunities(rq::PageQuery {
            cursor: Some(s("eyJhIjoxfQ")),
            limit: Some(20),
        }),
        Request::GetCommunity(cref()),
        Request::UpdateCommunity(rq::UpdateCommunity {
            community_id: s(C).into(),
            name: Some(s("Night Owls II")),
            avatar_url: Some(s("")),
            notice: None,
            join_policy: Some(JoinPolicy::Free),
            system_messages: Some(true),
        }),
        Request::SetAttributes(rq::SetAttributes {
            community_id: s(C).into(),
            attributes: BTreeMap::from([(s("level"), s("12")), (s("region"), s("eu-west"))]),
        }),
        Request::DeleteAttributes(rq::DeleteAttributes {
            community_id: s(C).into(),
            keys: vec![s("level")],
        }),
        Request::SetNotification(rq::SetNotification {
            community_id: s(C).into(),
            status: NotificationStatus::DoNotDisturb,
        }),
        Request::ListMembers(rq::ListMembers {
            community_id: s(C).into(),
            query: Some(s("car")),
            cursor: Some(s("next")),
            limit: Some(50),
            group_id: Some(s("g_officers").into()),
            field: Some(rq::FieldFilter {
                key: s("team"),
                value: s("red"),
            }),
        }),
        Request::SetMemberRole(rq::SetMemberRole {
            community_id: s(C).into(),
            user_id: s("bob").into(),
            role: Role::Admin,
        }),
        Request::KickMember(mref("mallory")),
        Request::TransferOwnership(mref("bob")),
        Request::MuteMember(rq::MuteMember {
            community_id: s(C).into(),
            user_id: s("carol").into(),
            until_ms: Some(T0 + 1),
        }),
        Request::SetMuteAll(rq::SetMuteAll {
            community_id: s(C).into(),
            muted: true,
        }),
        Request::SetNickname(rq::SetNickname {
            community_id: s(C).into(),
            nickname: s("Carol 🌙"),
        }),
        Request::CreateChannel(rq::CreateChannel {
            community_id: s(C).into(),
            name: s("officers"),
            kind: ChannelKind::Voice,
            introduction: s("Officers only"),
            notice: s("n"),
            custom: s("c"),
            category_id: Some(s("cat_games").into()),
            position: Some(2),
            private: true,
            member_ids: vec![s("bob").into()],
            follows_category: true,
        }),
        Request::UpdateChannel(rq::UpdateChannel {
            community_id: s(C).into(),
            channel_id: s("ch_raids").into(),
            name: Some(s("raids")),
            introduction: Some(s("i")),
            notice: Some(s("Next raid: Friday")),
            custom: Some(s("c")),
            category_id: Some(s("").into()),
            position: Some(-1),
            private: Some(false),
            follows_category: Some(false),
            mute_all: Some(true),
        }),
        Request::DeleteChannel(chref()),
        Request::AddChannelMembers(channel_members()),
        Request::RemoveChannelMembers(channel_members()),
        Request::ListChannelMembers(chref()),
        Request::CreateCategory(rq::CreateCategory {
            community_id: s(C).into(),
            name: s("Games"),
            position: Some(0),
        }),
        Request::UpdateCategory(rq::UpdateCategory {
            community_id: s(C).into(),
            category_id: s("cat_games").into(),
            name: Some(s("Games & Raids")),
            position: Some(1),
        }),
        Request::DeleteCategory(rq::CategoryRef {
            community_id: s(C).into(),
            category_id: s("cat_games").into(),
        }),
        Request::SendMessage(rq::SendMessage {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            idempotency_key: s("9b1c6f1e"),
            content: MessageContent::Text {
                text: s("Raid at 21:00 🦉"),
            },
            mentions: Mentions {
                users: vec![s("carol").into()],
                everyone: false,
                groups: Vec::new(),
            },
            reply_to: Some(118),
            priority: Priority::Low,
            custom_data: s("{\"flag\":\"gold\"}"),
            forward_of: Some(MessageRef {
                community_id: s("guild-7").into(),
                channel_id: s("ch_lobby").into(),
                seq: 5,
            }),
        }),
        Request::GetMessages(rq::GetMessages {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            before_seq: Some(200),
            after_seq: None,
            limit: Some(100),
        }),
        Request::MarkRead(rq::MarkRead {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            seq: 121,
        }),
        Request::GetHeads(cref()),
        Request::EditMessage(rq::EditMessage {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            seq: 121,
            idempotency_key: s("edit-7f3a"),
            content: Some(MessageContent::Text {
                text: s("Raid at 21:30 🦉"),
            }),
            mentions: Some(Mentions {
                users: vec![s("dave").into()],
                everyone: false,
                groups: Vec::new(),
            }),
            custom_data: Some(s("")),
        }),
        Request::RecallMessage(msgref()),
        Request::AddReaction(rq::MessageReaction {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            seq: 121,
            emoji: s("👍"),
        }),
        Request::RemoveReaction(rq::MessageReaction {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            seq: 121,
            emoji: s(":party:"),
        }),
        Request::PinMessage(msgref()),
        Request::UnpinMessage(msgref()),
        Request::ListPins(chref()),
        Request::GetChanges(rq::GetChanges {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            after_change_seq: 40,
            limit: Some(50),
        }),
        Request::HideMessage(msgref()),
        Request::CreateGroup(rq::CreateGroup {
            community_id: s(C).into(),
            name: s("Raid leaders"),
            color: 0xff8800,
            mentionable: true,
            permissions: Permissions::MENTION_EVERYONE.union(Permissions::MANAGE_THREADS),
        }),
        Request::UpdateGroup(rq::UpdateGroup {
            community_id: s(C).into(),
            group_id: s("g_officers").into(),
            name: Some(s("Officers")),
            color: Some(0),
            mentionable: Some(false),
            permissions: Some(Permissions::ALL),
        }),
        Request::DeleteGroup(rq::GroupRef {
            community_id: s(C).into(),
            group_id: s("g_officers").into(),
        }),
        Request::ReorderGroups(rq::ReorderGroups {
            community_id: s(C).into(),
            group_ids: vec![s("g_raid").into(), s("g_officers").into()],
        }),
        Request::AssignGroup(rq::MemberGroup {
            community_id: s(C).into(),
            user_id: s("carol").into(),
            group_id: s("g_officers").into(),
        }),
        Request::UnassignGroup(rq::MemberGroup {
            community_id: s(C).into(),
            user_id: s("carol").into(),
            group_id: s("g_raid").into(),
        }),
        Request::SetChannelOverride(rq::SetChannelOverride {
            community_id: s(C).into(),
            channel_id: s("ch_officers").into(),
            rule: overrides().remove(1),
        }),
        Request::SetCategoryOverride(rq::SetCategoryOverride {
            community_id: s(C).into(),
            category_id: s("cat_games").into(),
            rule: overrides().remove(0),
        }),
        Request::BanMember(rq::BanMember {
            community_id: s(C).into(),
            user_id: s("mallory").into(),
            until_ms: Some(T0 + 7 * 86_400_000),
            reason: s("spam ✉"),
        }),
        Request::UnbanMember(mref("mallory")),
        Request::ListBans(cref()),
        Request::SetChannelNotification(rq::SetChannelNotification {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            level: ChannelNotification::None,
        }),
        Request::SetMemberFields(rq::SetMemberFields {
            community_id: s(C).into(),
            user_id: s("carol").into(),
            fields: BTreeMap::from([(s("team"), s("blue")), (s("rank"), s(""))]),
        }),
    ]
    .into_iter()
    .chain(super::thread_samples::requests())
    .chain(super::people_samples::requests())
    .chain(super::search_samples::requests())
    .chain(super::large_samples::requests())
    .collect()
}

/// A ban with every field set.
pub fn ban() -> Ban {
    Ban {
        community_id: s(C).into(),
        user_id: s("mallory").into(),
        by: s("alice").into(),
        reason: s("spam ✉"),
        at_ms: T0,
        until_ms: Some(T0 + 7 * 86_400_000),
    }
}

/// One response of every kind.
pub fn all_responses() -> Vec<Response> {
    vec![
        Response::Ok,
        Response::LoggedIn(LoggedIn {
            user_id: s("carol").into(),
            session_id: s("s_5d1e9c"),
            resumed: true,
            event_seq: 14,
            token_expires_at_ms: T0 + 86_400_000,
            limits: Limits {
                channel_messages_per_second: 80,
                max_members_per_community: 0,
                ..Limits::default()
            },
            server_time_ms: T0,
        }),
        Response::TokenRefreshed(TokenRefreshed {
            expires_at_ms: T0 + 2 * 86_400_000,
        }),
        Response::Synced(Synced {
            changed: vec![snapshot()],
            unchanged: vec![UnchangedCommunity {
                community_id: s("guild-7").into(),
                notification: NotificationStatus::Notify,
                me: member("carol", Role::Admin),
                member_count: 5120,
                heads: vec![head()],
                threads: vec![super::thread_samples::free_thread()],
                voice: vec![super::people_samples::participant("erin")],
            }],
            removed: vec![s("old-guild").into()],
            conversations: vec![
                super::people_samples::entry(super::people_samples::group()),
                super::people_samples::entry(super::people_samples::direct()),
            ],
        }),
        Response::Community(snapshot()),
        Response::JoinPending,
        Response::CommunityInfo(info()),
        Response::Communities(Page {
            items: vec![info()],
            next_cursor: Some(s("eyJhIjoxfQ")),
        }),
        Response::Users(UsersOutcome {
            succeeded: vec![s("dave").into()],
            failed: vec![FailedUser {
                user_id: s("erin").into(),
                error: api_error(ErrorCode::ALREADY_MEMBER),
            }],
        }),
        Response::JoinRequests(JoinRequests {
            requests: vec![JoinRequest {
                community_id: s(C).into(),
                user_id: s("frank").into(),
                message: s("Hi"),
                requested_at_ms: T0,
            }],
        }),
        Response::Attributes(AttributesOutcome {
            attributes: BTreeMap::from([(s("level"), s("12"))]),
            failed: vec![FailedKey {
                key: "k".repeat(17),
                error: api_error(ErrorCode::ATTRIBUTE_KEY_TOO_LONG),
            }],
        }),
        Response::Members(MembersPage {
            page: Page {
                items: vec![member("carol", Role::Member), member("alice", Role::Owner)],
                next_cursor: None,
            },
            total_count: 2,
        }),
        Response::Member(member("bob", Role::Admin)),
        Response::Channel(channel(ChannelKind::Voice)),
        Response::ChannelMembers(ChannelMemberList {
            user_ids: vec![s("bob").into(), s("carol").into()],
        }),
        Response::Category(category()),
        Response::MessageSent(message(MessageContent::Text { text: s("hi") })),
        Response::Messages(MessagesPage {
            messages: contents().into_iter().map(message).collect(),
            has_more: true,
            change_seq: 46,
        }),
        Response::ReadState(head()),
        Response::Heads(Heads {
            heads: vec![
                head(),
                ChannelHead {
                    channel_id: s("ch_raids").into(),
                    ..head()
                },
            ],
        }),
        Response::Changed(ChangeOutcome {
            change: changes().into_iter().next(),
            message: message(MessageContent::Text { text: s("hi") }),
            change_seq: 41,
        }),
        Response::Changes(ChangesPage {
            changes: changes(),
            has_more: false,
            change_seq: 46,
        }),
        Response::Group(groups().remove(1)),
        Response::Groups(GroupList { groups: groups() }),
        Response::Bans(BanList {
            bans: vec![
                ban(),
                Ban {
                    user_id: s("trent").into(),
                    reason: s(""),
                    until_ms: None,
                    ..ban()
                },
            ],
        }),
    ]
    .into_iter()
    .chain(super::thread_samples::responses())
    .chain(super::people_samples::responses())
    .chain(super::search_samples::responses())
    .chain(super::large_samples::responses())
    .collect()
}

/// One event of every kind.
pub fn all_events() -> Vec<Event> {
    vec![
        Event::MessageCreated {
            message: message(MessageContent::Custom {
                data: s("{}"),
                description: s(""),
            }),
        },
        Event::CommunityAdded {
            snapshot: snapshot(),
        },
        Event::CommunityRemoved {
            community_id: s(C).into(),
            reason: RemovalReason::Dismissed,
        },
        Event::CommunityUpdated { info: info() },
        Event::AttributesChanged {
            community_id: s(C).into(),
            attributes: BTreeMap::new(),
            version: 9,
        },
        Event::NotificationChanged {
            community_id: s(C).into(),
            status: NotificationStatus::Notify,
        },
        Event::MemberJoined {
            member: member("dave", Role::Member),
            member_count: 4,
        },
        Event::MemberLeft {
            community_id: s(C).into(),
            user_id: s("mallory").into(),
            reason: RemovalReason::Kicked,
            member_count: 3,
        },
        Event::MemberUpdated {
            member: member("carol", Role::Admin),
        },
        Event::JoinRequested {
            request: JoinRequest {
                community_id: s(C).into(),
                user_id: s("frank").into(),
                message: s(""),
                requested_at_ms: T0,
            },
        },
        Event::ChannelAdded {
            channel: channel(ChannelKind::Announcement),
            head: head(),
            version: 10,
        },
        Event::ChannelUpdated {
            channel: channel(ChannelKind::Voice),
            version: 11,
        },
        Event::ChannelRemoved {
            community_id: s(C).into(),
            channel_id: s("ch_officers").into(),
            reason: ChannelRemovalReason::AccessRevoked,
            version: 12,
        },
        Event::CategoryUpdated {
            category: category(),
            version: 13,
        },
        Event::CategoryRemoved {
            community_id: s(C).into(),
            category_id: s("cat_games").into(),
            version: 14,
        },
        Event::ReadStateChanged { head: head() },
        Event::ChannelActivity {
            community_id: s("guild-7").into(),
            channel_id: s("ch_lobby").into(),
            last_seq: 90_431,
            last_activity_ms: T0,
            mentioned: true,
            first_seq: 90_428,
            unread: 3,
            mentions: 1,
        },
        Event::MessageChanged {
            change: changes().remove(1),
        },
        Event::GroupsChanged {
            community_id: s(C).into(),
            groups: groups(),
            version: 15,
        },
    ]
    .into_iter()
    .chain(super::thread_samples::events())
    .chain(super::people_samples::events())
    .chain(super::large_samples::events())
    .collect()
}

/// Every goodbye reason, in declaration order.
pub fn all_goodbye_reasons() -> Vec<GoodbyeReason> {
    use GoodbyeReason::*;
    vec![
        ServerShutdown,
        TokenExpired,
        SessionReplaced,
        HeartbeatTimeout,
        ProtocolError,
        SlowConsumer,
        LoggedOut,
        Kicked,
    ]
}
