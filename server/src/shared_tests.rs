//! Unit tests of `Shared`: requests ordered by the community they name, and the connection count.
use super::*;

#[tokio::test]
async fn connection_count_waits_for_the_last() {
    let count = Arc::new(ConnectionCount::default());
    assert!(count.wait_idle(Duration::from_millis(1)).await);
    let guard = count.enter();
    assert!(!count.wait_idle(Duration::from_millis(20)).await);
    let waiter = tokio::spawn({
        let count = Arc::clone(&count);
        async move { count.wait_idle(Duration::from_secs(10)).await }
    });
    drop(guard);
    assert!(waiter.await.unwrap());
}

use community_protocol::request::{CreateCommunity, Empty, SendMessage, SetProfile};
use community_protocol::{Mentions, MessageContent, Priority};

fn send(community: &CommunityId, channel: &community_protocol::ChannelId) -> Request {
    Request::SendMessage(SendMessage {
        community_id: community.clone(),
        channel_id: channel.clone(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        content: MessageContent::Text { text: "hi".into() },
        mentions: Mentions::default(),
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    })
}

#[test]
fn requests_are_ordered_by_the_community_they_name() {
    let community = CommunityId::from("c1");
    let channel = community_protocol::ChannelId::from("ch");
    assert_eq!(
        Scope::of(&send(&community, &channel)),
        Scope::Community(community)
    );
    assert_eq!(
        Scope::of(&Request::SetProfile(SetProfile::default())),
        Scope::Global
    );
    assert_eq!(Scope::of(&Request::Logout(Empty {})), Scope::Global);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_community_holds_up_neither_another_nor_itself_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
    let domain = Domain::open(dir.path(), config.limits.clone()).unwrap();
    let tokens = TokenKey::load_or_create(dir.path()).unwrap();
    let shared = Arc::new(Shared::new(config, domain, tokens));
    let ann = shared.hub.new_session(&"ann".into(), "");
    shared.register(&ann).await.unwrap();
    let mut communities = Vec::new();
    for name in ["A", "B"] {
        let create = Request::CreateCommunity(CreateCommunity {
            name: name.into(),
            ..Default::default()
        });
        let Ok(Response::Community(snapshot)) = shared.handle(&ann, create).await else {
            panic!("no community {name}");
        };
        communities.push((snapshot.info.community_id, snapshot.info.default_channel_id));
    }
    let [(a, a_channel), (b, b_channel)] = &communities[..] else {
        unreachable!()
    };
    // A's lane is taken, as by a long fan-out in A (held by another thread).
    let lane = shared.order.lane(&Scope::Community(a.clone())).unwrap();
    let (taken, lane_taken) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _held = lock_lane(&lane);
        taken.send(()).unwrap();
        released.recv().unwrap();
    });
    lane_taken.recv_timeout(Duration::from_secs(30)).unwrap();
    let in_a = tokio::spawn({
        let (shared, ann, request) = (Arc::clone(&shared), Arc::clone(&ann), send(a, a_channel));
        async move { shared.handle(&ann, request).await }
    });
    // B's send is answered while A's is still waiting for its lane.
    let in_b = tokio::time::timeout(
        Duration::from_secs(30),
        shared.handle(&ann, send(b, b_channel)),
    )
    .await
    .expect("B is not held up by A");
    assert!(matches!(in_b, Ok(Response::MessageSent(_))));
    assert!(!in_a.is_finished(), "A's send waits for A's lane");
    release.send(()).unwrap();
    holder.join().unwrap();
    let in_a = tokio::time::timeout(Duration::from_secs(30), in_a)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(in_a, Ok(Response::MessageSent(_))));
}

#[test]
fn communities_run_side_by_side_and_a_global_request_waits_for_them() {
    let order = Arc::new(Ordering::default());
    let first = order.all(&Scope::Community("c1".into()));
    // Another community gets in beside the first (on another thread, as requests do).
    let (second_in, second_held) = std::sync::mpsc::channel();
    let (release_second, second_released) = std::sync::mpsc::channel::<()>();
    let second = std::thread::spawn({
        let order = Arc::clone(&order);
        move || {
            let _all = order.all(&Scope::Community("c2".into()));
            second_in.send(()).unwrap();
            second_released.recv().unwrap();
        }
    });
    second_held.recv_timeout(Duration::from_secs(30)).unwrap();
    let (global_in, global_held) = std::sync::mpsc::channel();
    let global = std::thread::spawn({
        let order = Arc::clone(&order);
        move || {
            let _all = order.all(&Scope::Global);
            global_in.send(()).unwrap();
        }
    });
    assert!(global_held.try_recv().is_err(), "not while c1 and c2 run");
    drop(first);
    release_second.send(()).unwrap();
    second.join().unwrap();
    global_held.recv_timeout(Duration::from_secs(30)).unwrap();
    global.join().unwrap();
}

#[test]
fn reads_are_not_ordered() {
    assert!(is_read_only(&Request::GetHeads(
        community_protocol::request::CommunityRef {
            community_id: "c".into()
        }
    )));
    assert!(!is_read_only(&Request::Logout(
        community_protocol::request::Empty {}
    )));
}
