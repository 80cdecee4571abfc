//! Sample profiles, conversations, presences and voice seats, and every people request,
//! response and event, for the round-trip tests (split from `samples` to keep each file
//! small): a direct and a named group conversation in `@me`, every presence status,
//! an offline presence with and without `last_seen_ms`.

use std::collections::BTreeMap;

use community_protocol::request as rq;
use community_protocol::response::{
    BlockedList, ConversationEntry, ConversationsPage, PresenceList, ProfileList, ViewedCommunity,
    VoiceList,
};
use community_protocol::*;

use super::samples::{C, T0, head, s};

/// A profile with every field set.
pub fn profile() -> Profile {
    Profile {
        user_id: s("carol").into(),
        display_name: s("Carol 🌙"),
        avatar_url: s("https://cdn.example.com/carol.png"),
        fields: BTreeMap::from([(s("pronouns"), s("she/her")), (s("時間帯"), s("UTC+9"))]),
        updated_at_ms: T0,
    }
}

/// A named group conversation.
pub fn group() -> ConversationInfo {
    ConversationInfo {
        conversation_id: s("dm_7f3a").into(),
        kind: ConversationKind::Group,
        participants: vec![s("bob").into(), s("carol").into(), s("erin").into()],
        name: s("Raid leads — 作戦"),
        created_by: s("carol").into(),
        created_at_ms: T0,
        last_seq: 12,
        last_activity_ms: T0 + 60_000,
    }
}

/// A direct conversation (no name).
pub fn direct() -> ConversationInfo {
    ConversationInfo {
        conversation_id: s("dm_4c1b").into(),
        kind: ConversationKind::Direct,
        participants: vec![s("bob").into(), s("carol").into()],
        name: String::new(),
        ..group()
    }
}

/// `conversation` with the caller's head of it (community `@me`).
pub fn entry(conversation: ConversationInfo) -> ConversationEntry {
    ConversationEntry {
        head: ChannelHead {
            community_id: CommunityId::direct(),
            channel_id: conversation.conversation_id.clone(),
            ..head()
        },
        conversation,
    }
}

/// Someone in the voice channel `ch_lounge`.
pub fn participant(user: &str) -> VoiceParticipant {
    VoiceParticipant {
        community_id: s(C).into(),
        channel_id: s("ch_lounge").into(),
        user_id: s(user).into(),
        joined_at_ms: T0 + 1_000,
    }
}

/// One presence of every status, offline with and without `last_seen_ms`.
pub fn presences() -> Vec<Presence> {
    let presence = |user: &str, status, text: &str, last_seen_ms| Presence {
        user_id: s(user).into(),
        status,
        text: s(text),
        last_seen_ms,
    };
    vec![
        presence("alice", PresenceStatus::Online, "", None),
        presence("bob", PresenceStatus::Idle, "lunch 🍜", None),
        presence("carol", PresenceStatus::DoNotDisturb, "Raiding", None),
        presence("carol", PresenceStatus::Invisible, "", None),
        presence("dave", PresenceStatus::Offline, "", Some(T0)),
        presence("erin", PresenceStatus::Offline, "", None),
    ]
}

fn users(names: &[&str]) -> Vec<UserId> {
    names.iter().map(|n| s(n).into()).collect()
}

fn lounge() -> rq::ChannelRef {
    rq::ChannelRef {
        community_id: s(C).into(),
        channel_id: s("ch_lounge").into(),
    }
}

/// One request of every people op.
pub fn requests() -> Vec<Request> {
    vec![
        Request::SetProfile(rq::SetProfile {
            display_name: Some(s("Carol 🌙")),
            avatar_url: Some(String::new()),
            fields: BTreeMap::from([(s("pronouns"), s("she/her")), (s("team"), s(""))]),
        }),
        Request::GetProfiles(rq::UserIds {
            user_ids: users(&["alice", "bob"]),
        }),
        Request::CreateConversation(rq::CreateConversation {
            user_ids: users(&["bob"]),
            name: s("Raid leads — 作戦"),
            group: true,
        }),
        Request::UpdateConversation(rq::UpdateConversation {
            conversation_id: s("dm_7f3a").into(),
            name: s("Raid leads (EU)"),
        }),
        Request::AddConversationMembers(rq::ConversationMembers {
            conversation_id: s("dm_7f3a").into(),
            user_ids: users(&["dave"]),
        }),
        Request::LeaveConversation(rq::ConversationRef {
            conversation_id: s("dm_7f3a").into(),
        }),
        Request::ListConversations(rq::PageQuery {
            cursor: Some(s("Y3Y6MTc2NzIzMDAwMDAwMDpkbV80YzFi")),
            limit: Some(20),
        }),
        Request::SetDmPolicy(rq::SetDmPolicy {
            policy: DmPolicy::SharedCommunity,
        }),
        Request::BlockUser(rq::UserRef {
            user_id: s("mallory").into(),
        }),
        Request::UnblockUser(rq::UserRef {
            user_id: s("mallory").into(),
        }),
        Request::ListBlocked(rq::Empty {}),
        Request::SetPresence(rq::SetPresence {
            status: PresenceStatus::DoNotDisturb,
            text: s("Raiding until 23:00 ⚔️"),
        }),
        Request::SubscribePresence(rq::UserIds {
            user_ids: users(&["alice", "bob"]),
        }),
        Request::UnsubscribePresence(rq::UserIds {
            user_ids: users(&["bob"]),
        }),
        Request::ViewCommunity(rq::ViewCommunity {
            community_id: Some(s(C).into()),
        }),
        Request::Typing(rq::ChannelRef {
            community_id: CommunityId::direct(),
            channel_id: s("dm_4c1b").into(),
        }),
        Request::JoinVoice(lounge()),
        Request::LeaveVoice(rq::Empty {}),
        Request::ListVoice(lounge()),
    ]
}

/// One response of every people kind, in declaration order.
pub fn responses() -> Vec<Response> {
    vec![
        Response::Profile(profile()),
        Response::Profiles(ProfileList {
            profiles: vec![
                profile(),
                Profile {
                    user_id: s("bob").into(),
                    display_name: String::new(),
                    avatar_url: String::new(),
                    fields: BTreeMap::new(),
                    updated_at_ms: 0,
                },
            ],
        }),
        Response::Conversation(entry(direct())),
        Response::Conversations(ConversationsPage {
            conversations: vec![entry(group()), entry(direct())],
            next_cursor: Some(s("Y3Y6MTc2NzIzMDAwMDAwMDpkbV80YzFi")),
        }),
        Response::Blocked(BlockedList {
            user_ids: users(&["mallory"]),
        }),
        Response::Presences(PresenceList {
            presences: presences(),
        }),
        Response::Viewing(ViewedCommunity {
            community_id: s(C).into(),
            online_count: 3,
            presences: presences().into_iter().take(3).collect(),
        }),
        Response::Voice(VoiceList {
            participants: vec![participant("bob"), participant("erin")],
        }),
    ]
}

/// One event of every people kind, in declaration order.
pub fn events() -> Vec<Event> {
    vec![
        Event::ProfileUpdated { profile: profile() },
        Event::ConversationUpdated {
            conversation: group(),
            head: entry(group()).head,
        },
        Event::ConversationRemoved {
            conversation_id: s("dm_7f3a").into(),
        },
        Event::PresenceChanged {
            presence: presences().swap_remove(4),
        },
        Event::OnlineCount {
            community_id: s(C).into(),
            online: 4_096,
        },
        Event::Typing {
            community_id: s(C).into(),
            channel_id: s("th_raid_plan").into(),
            user_ids: users(&["erin", "dave", "bob"]),
            until_ms: T0 + 8_000,
        },
        Event::VoiceJoined {
            participant: participant("bob"),
        },
        Event::VoiceLeft {
            community_id: s(C).into(),
            channel_id: s("ch_lounge").into(),
            user_id: s("bob").into(),
        },
    ]
}
