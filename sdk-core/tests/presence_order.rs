//! An answer that carries presences (`subscribe_presence`, `view_community`) is applied in
//! order with the events, against a scripted server that answers and then, at once, sends
//! a newer change: the change wins. Before, the caller applied the answer after it
//! returned, and an event that arrived right behind it (a user coming online just then)
//! was overwritten by the older answer until the next change.

mod scripted;

use community_sdk::Client;
use community_sdk::protocol::Event;
use community_sdk::protocol::frame::Outcome;
use community_sdk::protocol::people::{Presence, PresenceStatus};
use community_sdk::protocol::response::{PresenceList, ViewedCommunity};
use community_sdk::protocol::{Request, Response};
use scripted::{Server, WAIT, logged_in};

fn presence(status: PresenceStatus) -> Presence {
    Presence {
        user_id: "alice".into(),
        status,
        text: String::new(),
        last_seen_ms: None,
    }
}

/// Waits until the client shows alice online (bounded by [`WAIT`]), then checks that
/// nothing applied later takes it back.
async fn stays_online(client: &Client) {
    let status = || client.presence(&"alice".into()).map(|p| p.status);
    tokio::time::timeout(WAIT, async {
        while status() != Some(PresenceStatus::Online) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("alice online in time; {:?}", status()));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(status(), Some(PresenceStatus::Online), "taken back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_change_right_behind_the_subscribe_answer_is_kept() {
    let mut server = Server::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = logged_in(&server, dir.path()).await;
    let subscribing = tokio::spawn({
        let client = client.clone();
        async move { client.subscribe_presence(vec!["alice".into()]).await }
    });
    let asked = server.asked().await;
    assert!(matches!(asked.request, Request::SubscribePresence(_)));
    // Offline when the server answered, online in the event sent right behind it.
    server.reply(
        asked.id,
        Outcome::Result(Response::Presences(PresenceList {
            presences: vec![presence(PresenceStatus::Offline)],
        })),
    );
    server.event(
        1,
        Event::PresenceChanged {
            presence: presence(PresenceStatus::Online),
        },
    );
    let mut updates = subscribing
        .await
        .expect("task")
        .expect("subscribed to presence");
    let first = updates.next().await.expect("the first value");
    assert!(
        first.iter().any(|p| p.user_id.as_str() == "alice"),
        "the stream starts from the answer: {first:?}"
    );
    stays_online(&client).await;
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_change_right_behind_the_view_answer_is_kept() {
    let mut server = Server::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = logged_in(&server, dir.path()).await;
    let viewing = tokio::spawn({
        let client = client.clone();
        async move { client.view_community(Some("c".into())).await }
    });
    let asked = server.asked().await;
    assert!(matches!(asked.request, Request::ViewCommunity(_)));
    server.reply(
        asked.id,
        Outcome::Result(Response::Viewing(ViewedCommunity {
            community_id: "c".into(),
            online_count: 1,
            presences: vec![presence(PresenceStatus::Idle)],
        })),
    );
    server.event(
        1,
        Event::PresenceChanged {
            presence: presence(PresenceStatus::Online),
        },
    );
    let viewed = viewing.await.expect("task").expect("viewing");
    assert_eq!(viewed.map(|v| v.online_count), Some(1));
    stays_online(&client).await;
    client.close().await.expect("close");
}
