//! The lazy member list through the real server (§22.2): typed errors for bad ranges,
//! and windows kept exact by the operations — applied with `MemberListWindow::apply`,
//! they always equal a fresh subscription — through joins, leaves, kicks, presence,
//! nicknames, profiles and groups, at a few members and at 100,000 (seeded directly
//! into the database).

mod common;

use common::large::*;
use common::*;
use community_protocol::member_list::{MemberListOp, MemberListWindow};
use community_protocol::request::*;
use community_protocol::*;

/// Windows held by a follower, kept by the operations it receives.
struct Follower {
    client: Client,
    windows: Vec<MemberListWindow>,
}

impl Follower {
    async fn follow(
        mut client: Client,
        community: &CommunityId,
        ranges: &[(u32, u32)],
    ) -> Follower {
        let list = member_list(&mut client, subscribe(community, ranges)).await;
        Follower {
            client,
            windows: list.ranges.into_iter().map(MemberListWindow::new).collect(),
        }
    }

    fn apply(&mut self, ops: &[MemberListOp]) {
        for op in ops {
            let window = self
                .windows
                .iter_mut()
                .find(|w| w.range.contains(op.index()))
                .unwrap_or_else(|| panic!("{op:?} is outside every range"));
            window.apply(op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
        }
    }

    /// Reads updates until the windows equal a fresh subscription's (read by `checker`).
    async fn converge(&mut self, checker: &mut Client, community: &CommunityId) {
        let ranges: Vec<(u32, u32)> = self
            .windows
            .iter()
            .map(|w| (w.range.start, w.range.end))
            .collect();
        let fresh = member_list(checker, subscribe(community, &ranges)).await;
        for _ in 0..10_000 {
            let now: Vec<_> = self.windows.iter().map(|w| &w.items).collect();
            let want: Vec<_> = fresh.ranges.iter().map(|r| &r.items).collect();
            if now == want {
                return;
            }
            if let (_, Event::MemberListUpdate { ops, .. }) = self.client.next_event().await {
                self.apply(&ops);
            }
        }
        panic!("the windows never matched a fresh subscription");
    }
}

#[tokio::test]
async fn member_list_ranges_are_checked() {
    let server = server().await;
    let (mut c, community, _) = community(&server, &["bob"], false).await;
    let bob = &mut c[1];
    for ranges in [
        vec![],
        vec![(5, 4)],
        vec![(0, 200)],
        vec![(0, 10), (10, 20)],
        vec![(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)],
    ] {
        bob.fails(
            subscribe(&community, &ranges),
            ErrorCode::INVALID_MEMBER_LIST_RANGE,
        )
        .await;
    }
    bob.fails(
        subscribe(&"nowhere".into(), &[(0, 9)]),
        ErrorCode::COMMUNITY_NOT_FOUND,
    )
    .await;
    let mut carol = server.login("carol").await;
    carol
        .fails(subscribe(&community, &[(0, 9)]), ErrorCode::NOT_MEMBER)
        .await;
    let list = member_list(bob, subscribe(&community, &[(0, 9), (20, 29)])).await;
    assert_eq!(list.total, 2);
    assert_eq!(list.ranges[0].items.len(), 2);
    assert!(list.ranges[1].items.is_empty());
    assert_eq!(
        bob.ok(Request::UnsubscribeMemberList(Empty {})).await,
        Response::Ok
    );
}

#[tokio::test]
async fn member_list_windows_follow_joins_leaves_presence_and_groups() {
    let server = server().await;
    let (mut c, community, _) = community(&server, &["bob", "carol", "dave", "erin"], false).await;
    let mut checker = server.login("alice").await;
    let bob = c.remove(1);
    let mut follower = Follower::follow(bob, &community, &[(0, 2), (3, 5)]).await;
    let mut alice = c.remove(0);
    // A join, a presence change, a nickname, a group, a kick.
    let mut fred = server.login("fred").await;
    fred.ok(join(community.as_str())).await;
    follower.converge(&mut checker, &community).await;
    fred.ok(Request::SetPresence(SetPresence {
        status: PresenceStatus::DoNotDisturb,
        text: String::new(),
    }))
    .await;
    follower.converge(&mut checker, &community).await;
    fred.ok(Request::SetNickname(SetNickname {
        community_id: community.clone(),
        nickname: "aaa".into(),
    }))
    .await;
    follower.converge(&mut checker, &community).await;
    let group = match alice
        .ok(Request::CreateGroup(CreateGroup {
            community_id: community.clone(),
            name: "mods".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Group(group) => group.group_id,
        other => panic!("unexpected {other:?}"),
    };
    alice
        .ok(Request::AssignGroup(MemberGroup {
            community_id: community.clone(),
            user_id: "erin".into(),
            group_id: group.clone(),
        }))
        .await;
    follower.converge(&mut checker, &community).await;
    // Dave's profile name and avatar (no nickname: the profile's name is shown).
    c[1].ok(Request::SetProfile(SetProfile {
        display_name: Some("Bobby Tables".into()),
        avatar_url: Some("https://a.example/d.png".into()),
        ..Default::default()
    }))
    .await;
    follower.converge(&mut checker, &community).await;
    assert!(
        follower
            .windows
            .iter()
            .flat_map(|w| &w.items)
            .any(|i| i.display_name == "Bobby Tables" && i.avatar_url == "https://a.example/d.png")
    );
    c.remove(2).ok(Request::Logout(Empty {})).await; // erin goes offline
    follower.converge(&mut checker, &community).await;
    alice
        .ok(Request::KickMember(MemberRef {
            community_id: community.clone(),
            user_id: "carol".into(),
        }))
        .await;
    follower.converge(&mut checker, &community).await;
    alice
        .ok(Request::DeleteGroup(GroupRef {
            community_id: community.clone(),
            group_id: group,
        }))
        .await;
    follower.converge(&mut checker, &community).await;
}

/// Seeds `count` members `m000000`… into `community` directly in the database (the
/// server stopped), with every 1,000th in `group`.
fn seed(dir: &std::path::Path, community: &CommunityId, group: &GroupId, count: usize) {
    let path = dir.join("community.db");
    let mut db = rusqlite::Connection::open(path).expect("database");
    let tx = db.transaction().expect("transaction");
    {
        let mut member = tx
            .prepare("INSERT INTO members (community_id, user_id, role, nickname, joined_at_ms) VALUES (?1, ?2, 'member', '', 0)")
            .expect("insert");
        let mut user = tx
            .prepare("INSERT OR IGNORE INTO users (user_id, first_seen_ms) VALUES (?1, 0)")
            .expect("insert");
        let mut held = tx
            .prepare(
                "INSERT INTO member_groups (community_id, user_id, group_id) VALUES (?1, ?2, ?3)",
            )
            .expect("insert");
        for i in 0..count {
            let id = format!("m{i:06}");
            member
                .execute(rusqlite::params![community.as_str(), id])
                .expect("member");
            user.execute(rusqlite::params![id]).expect("user");
            if i % 1_000 == 0 {
                held.execute(rusqlite::params![community.as_str(), id, group.as_str()])
                    .expect("group");
            }
        }
    }
    tx.execute(
        "UPDATE communities SET member_count = member_count + ?2, access_stamp = access_stamp + 1 WHERE community_id = ?1",
        rusqlite::params![community.as_str(), count as i64],
    )
    .expect("count");
    tx.commit().expect("commit");
}

#[tokio::test]
async fn member_list_at_100k_members() {
    let mut server = server().await;
    let (mut c, community, _) = community(&server, &["bob"], false).await;
    let group = match c[0]
        .ok(Request::CreateGroup(CreateGroup {
            community_id: community.clone(),
            name: "vips".into(),
            ..Default::default()
        }))
        .await
    {
        Response::Group(group) => group.group_id,
        other => panic!("unexpected {other:?}"),
    };
    drop(c);
    if let Some(running) = server.server.take() {
        running.shutdown().await;
    }
    seed(server.dir.path(), &community, &group, 99_990);
    server.start_again().await;
    let mut alice = server.login("alice").await;
    let mut checker = server.login("bob").await;
    let bob = server.login("bob").await;
    let mut follower =
        Follower::follow(bob, &community, &[(0, 99), (100, 199), (50_000, 50_099)]).await;
    let list = member_list(&mut checker, subscribe(&community, &[(0, 9)])).await;
    assert_eq!(list.total, 99_992);
    assert_eq!(list.sections[0].count, 100, "the group's section first");
    // Members come online (they move up into the first ranges), one leaves, one joins,
    // one gets the group, one changes nickname.
    for i in [5u32, 777, 99_989] {
        let mut member = server.login(&format!("m{i:06}")).await;
        follower.converge(&mut checker, &community).await;
        if i == 777 {
            member
                .ok(Request::SetNickname(SetNickname {
                    community_id: community.clone(),
                    nickname: "Zed".into(),
                }))
                .await;
            follower.converge(&mut checker, &community).await;
            member
                .ok(Request::LeaveCommunity(community_ref(community.as_str())))
                .await;
            follower.converge(&mut checker, &community).await;
        }
    }
    let mut newcomer = server.login("newcomer").await;
    newcomer.ok(join(community.as_str())).await;
    follower.converge(&mut checker, &community).await;
    alice
        .ok(Request::AssignGroup(MemberGroup {
            community_id: community.clone(),
            user_id: "m050050".into(),
            group_id: group.clone(),
        }))
        .await;
    follower.converge(&mut checker, &community).await;
    alice
        .ok(Request::KickMember(MemberRef {
            community_id: community.clone(),
            user_id: "m000000".into(),
        }))
        .await;
    follower.converge(&mut checker, &community).await;
    let list = member_list(&mut checker, subscribe(&community, &[(0, 9)])).await;
    assert_eq!(list.total, 99_991);
}
