//! The deployment's content checks (protocol §23.2) against a scripted server: a
//! WebSocket peer on loopback that answers login and sync by itself and leaves every
//! `send_message` to the test. A send answered with `seq` 0 (discarded silently) ends
//! successfully for the app — `sent()` gives 0, the entry is done and never sent again —
//! while its echo leaves the timeline and nothing is stored or counted; a send refused
//! with `message_rejected` (4019) fails for good, not retried.

mod scripted;

use std::time::Duration;

use community_sdk::protocol::frame::Outcome;
use community_sdk::protocol::{ApiError, ErrorCode, Response};
use community_sdk::{MessageUpdate, SdkError, SendState};
use scripted::{Server, WAIT, logged_in, stored};

/// The next update about `local_id` in the timeline (skipping others).
async fn next_about(
    timeline: &mut community_sdk::Subscription<Vec<MessageUpdate>>,
    local_id: &str,
) -> MessageUpdate {
    tokio::time::timeout(WAIT, async {
        loop {
            let batch = timeline.next().await.expect("the timeline goes on");
            for update in batch {
                match &update {
                    MessageUpdate::Local(echo) if echo.local_id == local_id => return update,
                    MessageUpdate::Discarded { local_id: id } if id == local_id => return update,
                    MessageUpdate::Inserted(message) if message.idempotency_key == local_id => {
                        return update;
                    }
                    _ => {}
                }
            }
        }
    })
    .await
    .expect("an update in time")
}

#[tokio::test]
async fn a_discarded_send_succeeds_and_its_echo_goes_away() {
    let mut server = Server::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = logged_in(&server, dir.path()).await;
    let channel = client.community("c").channel("general");
    let mut timeline = channel.subscribe_messages().await.expect("timeline");
    let before = channel.unread().expect("counts");

    let outgoing = channel
        .send_text("buy cheap watches")
        .await
        .expect("queued");
    let local_id = outgoing.local_id().to_string();
    assert!(matches!(
        next_about(&mut timeline, &local_id).await,
        MessageUpdate::Local(_)
    ));
    let asked = server.asked().await;
    server.reply(
        asked.id,
        Outcome::Result(Response::MessageSent(stored(&asked.request, 0))),
    );
    let seq = tokio::time::timeout(WAIT, outgoing.sent())
        .await
        .expect("in time")
        .expect("the send succeeds");
    assert_eq!(seq, 0);
    assert_eq!(
        next_about(&mut timeline, &local_id).await,
        MessageUpdate::Discarded {
            local_id: local_id.clone()
        }
    );
    // Done (never retried), nothing stored, nothing counted.
    let echo = client.local_message(&local_id).await.expect("read");
    assert_eq!(echo.expect("kept").state, SendState::Sent { seq: 0 });
    assert!(channel.pending().await.expect("pending").is_empty());
    let cached = channel.messages(None, 50).await.expect("history");
    assert!(cached.iter().all(|m| m.seq != 0), "nothing stored at seq 0");
    assert_eq!(channel.unread(), Some(before));

    // A send the content check rejects fails for good.
    let outgoing = channel.send_text("really bad words").await.expect("queued");
    let asked = server.asked().await;
    server.reply(
        asked.id,
        Outcome::Error(ApiError::new(ErrorCode::MESSAGE_REJECTED, "not here")),
    );
    let error = tokio::time::timeout(WAIT, outgoing.sent())
        .await
        .expect("in time")
        .expect_err("refused");
    match error {
        SdkError::Api(error) => assert_eq!(error.code, ErrorCode::MESSAGE_REJECTED),
        other => panic!("unexpected {other:?}"),
    }
    let echo = client
        .local_message(outgoing.local_id())
        .await
        .expect("read");
    assert!(matches!(
        echo.expect("kept").state,
        SendState::Failed { .. }
    ));

    // A third send goes through: neither earlier one was sent again.
    let outgoing = channel.send_text("hello").await.expect("queued");
    let asked = server.asked().await;
    server.reply(
        asked.id,
        Outcome::Result(Response::MessageSent(stored(&asked.request, 4))),
    );
    let seq = tokio::time::timeout(WAIT, outgoing.sent())
        .await
        .expect("in time")
        .expect("sent");
    assert_eq!(seq, 4);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.count("send_message"), 3);
    client.close().await.expect("close");
}
