//! Finding by name: `search_channels` (the channels a member sees), `search_communities`
//! (joined ones, and those open to joining or asking), and `list_members` by display
//! name.

use std::collections::BTreeMap;

use community_protocol::request::*;
use community_protocol::response::MembersPage;
use community_protocol::search::{SearchChannels, SearchCommunities};
use community_protocol::{ErrorCode, JoinPolicy, Request, Response};

use crate::test_support::*;

#[track_caller]
fn channels(env: &Env, user: &str, community: &str, query: &str) -> Vec<String> {
    let request = Request::SearchChannels(SearchChannels {
        community_id: community.into(),
        query: query.into(),
        limit: None,
    });
    match env.ok(user, request).response {
        Response::ChannelMatches(found) => found.channels.into_iter().map(|c| c.name).collect(),
        other => panic!("unexpected {other:?}"),
    }
}

#[track_caller]
fn communities(env: &Env, user: &str, query: &str, limit: Option<u32>) -> Vec<String> {
    let request = Request::SearchCommunities(SearchCommunities {
        query: query.into(),
        limit,
    });
    match env.ok(user, request).response {
        Response::CommunityMatches(found) => found
            .communities
            .into_iter()
            .map(|c| c.community_id.to_string())
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

fn rename(env: &Env, owner: &str, community: &str, name: &str) {
    env.ok(
        owner,
        Request::UpdateCommunity(UpdateCommunity {
            community_id: community.into(),
            name: Some(name.into()),
            ..Default::default()
        }),
    );
}

#[test]
fn channels_by_name_among_those_the_member_sees() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    for (name, private) in [
        ("Raid-Planning", false),
        ("old-raids", false),
        ("raid-leads", true),
        ("chat", false),
    ] {
        env.channel("alice", "g", name, private);
    }
    // Names starting with the text first, then by name; case does not matter.
    assert_eq!(
        channels(&env, "alice", "g", "RAID"),
        ["raid-leads", "Raid-Planning", "old-raids"]
    );
    assert_eq!(
        channels(&env, "bob", "g", "raid"),
        ["Raid-Planning", "old-raids"]
    );
    assert_eq!(channels(&env, "bob", "g", " chat "), ["chat"]);
    assert!(channels(&env, "bob", "g", "zzz").is_empty());
    let limited = Request::SearchChannels(SearchChannels {
        community_id: "g".into(),
        query: "a".into(),
        limit: Some(2),
    });
    let Response::ChannelMatches(found) = env.ok("alice", limited).response else {
        panic!("channel matches expected")
    };
    assert_eq!(found.channels.len(), 2);
    // Threads are not channels.
    env.ok(
        "alice",
        Request::CreateThread(CreateThread {
            community_id: "g".into(),
            channel_id: env.snapshot("alice", "g").info.default_channel_id,
            name: "raid thread".into(),
            parent_seq: None,
            auto_archive_ms: None,
        }),
    );
    assert_eq!(channels(&env, "bob", "g", "thread"), Vec::<String>::new());
    for bad in ["", "   ", &"x".repeat(257)] {
        let request = Request::SearchChannels(SearchChannels {
            community_id: "g".into(),
            query: bad.into(),
            limit: None,
        });
        assert_eq!(env.err("bob", request), ErrorCode::INVALID_SEARCH_QUERY);
    }
    let outsider = Request::SearchChannels(SearchChannels {
        community_id: "g".into(),
        query: "raid".into(),
        limit: None,
    });
    assert_eq!(env.err("carol", outsider), ErrorCode::NOT_MEMBER);
}

#[test]
fn communities_joined_first_then_open_ones_never_invite_only_or_banning() {
    let env = Env::new();
    env.create_with("alice", "free", JoinPolicy::Free);
    env.create_with("alice", "asks", JoinPolicy::Approval);
    env.create_with("alice", "closed", JoinPolicy::InviteOnly);
    env.create_with("alice", "banning", JoinPolicy::Free);
    env.create_with("dave", "mine", JoinPolicy::InviteOnly);
    rename(&env, "alice", "free", "Guild of Raiders");
    rename(&env, "alice", "asks", "Raiders Guild");
    rename(&env, "alice", "closed", "Secret Raiders");
    rename(&env, "alice", "banning", "Raiders banning bob");
    rename(&env, "dave", "mine", "Zeta raiders");
    env.ok(
        "alice",
        Request::BanMember(BanMember {
            community_id: "banning".into(),
            user_id: "bob".into(),
            until_ms: None,
            reason: String::new(),
        }),
    );
    // Bob: open ones only (names starting with the text first), not the banning one.
    assert_eq!(communities(&env, "bob", "raiders", None), ["asks", "free"]);
    // Dave: his invite-only community first (joined), then the open ones.
    assert_eq!(
        communities(&env, "dave", "RAIDERS", None),
        ["mine", "banning", "asks", "free"]
    );
    assert_eq!(
        communities(&env, "alice", "raiders", None),
        ["banning", "asks", "free", "closed"]
    );
    assert_eq!(communities(&env, "alice", "raiders", Some(1)), ["banning"]);
    // `@me` is never a community.
    assert!(communities(&env, "alice", "@me", None).is_empty());
    for bad in ["", " ", &"x".repeat(257)] {
        let request = Request::SearchCommunities(SearchCommunities {
            query: bad.into(),
            limit: None,
        });
        assert_eq!(env.err("bob", request), ErrorCode::INVALID_SEARCH_QUERY);
    }
    let request = Request::SearchCommunities(SearchCommunities {
        query: "raiders".into(),
        limit: Some(0),
    });
    assert_eq!(env.err("bob", request), ErrorCode::PAGE_SIZE_TOO_LARGE);
}

#[test]
fn members_are_found_by_display_name_too() {
    let env = Env::new();
    env.create("alice", "g");
    env.join("bob", "g");
    env.join("carol", "g");
    env.ok(
        "bob",
        Request::SetProfile(SetProfile {
            display_name: Some("Bobby Tables".into()),
            avatar_url: None,
            fields: BTreeMap::new(),
        }),
    );
    let list = |query: &str| {
        let request = Request::ListMembers(ListMembers {
            community_id: "g".into(),
            query: Some(query.into()),
            group_id: None,
            field: None,
            cursor: None,
            limit: None,
        });
        match env.ok("alice", request).response {
            Response::Members(MembersPage { page, total_count }) => {
                let users: Vec<String> = page
                    .items
                    .into_iter()
                    .map(|m| m.user_id.to_string())
                    .collect();
                assert_eq!(total_count, users.len() as u64);
                users
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(list("TABLES"), ["bob"]);
    assert_eq!(list("bob"), ["bob"]);
    assert_eq!(list("car"), ["carol"]);
    assert!(list("zzz").is_empty());
}
