//! Sample frames of large communities for the round-trip tests (split from `samples` to
//! keep each file small): focus, the lazy member list and its update operations.

use community_protocol::focus::{Focus, Focused};
use community_protocol::member_list::{
    ListRange, MemberList, MemberListItem, MemberListOp, MemberListRange, MemberListSection,
    SubscribeMemberList,
};
use community_protocol::push::{PushPlatform, RegisterPushToken, UnregisterPushToken};
use community_protocol::request::Empty;
use community_protocol::*;

use super::samples::{C, head, s};

/// A member as the list shows them.
pub fn item(user: &str, group: Option<&str>, status: PresenceStatus) -> MemberListItem {
    MemberListItem {
        user_id: s(user).into(),
        display_name: s(&user.to_uppercase()),
        group_id: group.map(|g| s(g).into()),
        status,
        avatar_url: if user == "alice" {
            s("https://cdn.example.com/a.png")
        } else {
            String::new()
        },
    }
}

fn sections() -> Vec<MemberListSection> {
    vec![
        MemberListSection {
            group_id: Some(s("grp_mods").into()),
            count: 3,
            online: 2,
        },
        MemberListSection {
            group_id: None,
            count: 99_997,
            online: 4_998,
        },
    ]
}

/// Every request of large communities.
pub fn requests() -> Vec<Request> {
    vec![
        Request::Focus(Focus {
            community_id: Some(s(C).into()),
            channel_id: Some(s("ch_general").into()),
        }),
        Request::SubscribeMemberList(SubscribeMemberList {
            community_id: s(C).into(),
            ranges: vec![ListRange::new(0, 99), ListRange::new(100, 199)],
        }),
        Request::UnsubscribeMemberList(Empty {}),
        Request::RegisterPushToken(RegisterPushToken {
            platform: PushPlatform::Fcm,
            token: "fcm-3f9a0c7e".to_owned(),
        }),
        Request::UnregisterPushToken(UnregisterPushToken {
            token: "fcm-3f9a0c7e".to_owned(),
        }),
    ]
}

/// One response of every large-community kind, in declaration order.
pub fn responses() -> Vec<Response> {
    vec![
        Response::Focused(Focused { head: Some(head()) }),
        Response::MemberList(MemberList {
            community_id: s(C).into(),
            total: 100_000,
            online: 5_000,
            sections: sections(),
            ranges: vec![MemberListRange {
                range: ListRange::new(0, 1),
                items: vec![
                    item("alice", Some("grp_mods"), PresenceStatus::Online),
                    item("bob", Some("grp_mods"), PresenceStatus::Idle),
                ],
            }],
        }),
    ]
}

/// One event of every large-community kind.
pub fn events() -> Vec<Event> {
    vec![Event::MemberListUpdate {
        community_id: s(C).into(),
        total: 100_000,
        online: 5_000,
        sections: sections(),
        ops: vec![
            MemberListOp::Delete { index: 1 },
            MemberListOp::Insert {
                index: 0,
                item: item("carol", Some("grp_mods"), PresenceStatus::Online),
            },
            MemberListOp::Update {
                index: 1,
                item: item("alice", Some("grp_mods"), PresenceStatus::DoNotDisturb),
            },
        ],
    }]
}
