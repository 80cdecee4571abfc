//! Background fetches that fail for a passing reason are tried again while the
//! connection lasts, against a scripted server whose reads of `general` fail on demand
//! (`internal`, 9000): the catch-up after a fresh login, the fetch of an open timeline's
//! newest messages, and the fetch of a hole in a channel's live messages (a message
//! committed on a server node that died before publishing it). Before, each of them gave
//! up until the next fresh login — a resumed session never caught up what it missed, and
//! the sync state stayed `CatchingUp`.

mod scripted;

use std::collections::BTreeSet;

use community_sdk::protocol::Event;
use community_sdk::{Client, MessageUpdate, Subscription};
use scripted::{Script, Server, WAIT, logged_in, message};

/// Collects the sequences the timeline reports (reset or inserted) until `wanted` are
/// all there.
async fn until_shown(timeline: &mut Subscription<Vec<MessageUpdate>>, wanted: &[u64]) {
    let mut shown = BTreeSet::new();
    let wanted: BTreeSet<u64> = wanted.iter().copied().collect();
    tokio::time::timeout(WAIT, async {
        while !wanted.is_subset(&shown) {
            let batch = timeline.next().await.expect("the timeline goes on");
            for update in batch {
                match update {
                    MessageUpdate::Reset { messages, .. } => {
                        shown.extend(messages.iter().map(|m| m.seq));
                    }
                    MessageUpdate::Inserted(message) => {
                        shown.insert(message.seq);
                    }
                    _ => {}
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{wanted:?} shown in time; shown {shown:?}"));
}

#[tokio::test]
async fn an_open_timeline_gets_its_messages_and_its_holes_after_failed_reads() {
    // The server holds 1..=6 of `general` but says its newest is 3.
    let server = Server::start_with(Script {
        last_seq: 3,
        messages: (1..=6).map(message).collect(),
        failing_reads: 1,
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let client = logged_in(&server, dir.path()).await;
    let channel = client.community("c").channel("general");
    let mut timeline = channel.subscribe_messages().await.expect("timeline");
    // The newest messages of the place shown: the first read fails, the next one is
    // made by itself after a pause.
    until_shown(&mut timeline, &[1, 2, 3]).await;
    assert_eq!(server.count("get_messages"), 2);

    // 6 arrives live after 3: the hole 4..=5 is fetched, through two failed reads.
    server.fail_reads(2);
    server.event(
        1,
        Event::MessageCreated {
            message: message(6),
        },
    );
    until_shown(&mut timeline, &[4, 5, 6]).await;
    assert_eq!(server.count("get_messages"), 5);
    let cached: Vec<u64> = channel
        .messages(None, 50)
        .await
        .expect("history")
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(cached, vec![1, 2, 3, 4, 5, 6]);
    client.close().await.expect("close");
}

/// Waits until the server got `count` requests of `op` (their answers are sent before
/// any event sent afterwards).
async fn asked_for(server: &Server, op: &str, count: usize) {
    tokio::time::timeout(WAIT, async {
        while server.count(op) < count {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{count} × {op} in time"));
}

/// A scripted server whose `general` will hold 1..=6, still empty (newest 0) when the
/// client logs in; the client with `general`'s timeline open and focused.
async fn empty_general_shown(
    dir: &std::path::Path,
) -> (Server, Client, Subscription<Vec<MessageUpdate>>) {
    let server = Server::start_with(Script {
        last_seq: 0,
        messages: (1..=6).map(message).collect(),
        failing_reads: 0,
    })
    .await;
    let client = logged_in(&server, dir).await;
    let timeline = client
        .community("c")
        .channel("general")
        .subscribe_messages()
        .await
        .expect("timeline");
    asked_for(&server, "focus", 1).await;
    (server, client, timeline)
}

/// Slow-path activity of `general` covering `first_seq..=last_seq` (no message comes with
/// it).
fn activity(first_seq: u64, last_seq: u64) -> Event {
    Event::ChannelActivity {
        community_id: "c".into(),
        channel_id: "general".into(),
        last_seq,
        last_activity_ms: 1,
        mentioned: false,
        first_seq,
        unread: last_seq + 1 - first_seq,
        mentions: 0,
    }
}

/// With `general` (1..=6 on the server) shown and empty: `counted` arrives, the fetch of
/// what it counts fails once, and before it is tried again 6 arrives whole. Every message
/// must still reach the timeline.
async fn counted_then_the_newest_live(counted: Event) {
    let dir = tempfile::tempdir().expect("dir");
    let (server, client, mut timeline) = empty_general_shown(dir.path()).await;
    server.set_last_seq(6);
    server.fail_reads(1);
    server.event(1, counted);
    asked_for(&server, "get_messages", 1).await;
    server.event(
        2,
        Event::MessageCreated {
            message: message(6),
        },
    );
    until_shown(&mut timeline, &[1, 2, 3, 4, 5, 6]).await;
    client.close().await.expect("close");
}

#[tokio::test]
async fn a_hole_above_counted_activity_brings_the_counted_messages_too() {
    // The counter stands at 1, the cache at 0: the hole 6 shows (2..=5 by the counter) is
    // filled from where the timeline stands (nothing shown), so 1 comes too.
    counted_then_the_newest_live(activity(1, 1)).await;
}

#[tokio::test]
async fn a_head_past_the_timeline_brings_every_message_even_when_the_newest_came_live() {
    // Activity that skips 1 is a gap: the heads are refetched and say 6. Then 6 is cached
    // above everything else, and the fetch tried again still brings 1..=5, which the
    // timeline never showed.
    counted_then_the_newest_live(activity(2, 3)).await;
}

#[tokio::test]
async fn a_catch_up_interrupted_by_failed_reads_goes_on_until_caught_up() {
    let dir = tempfile::tempdir().expect("dir");
    // A first session caches 1..=3.
    {
        let server = Server::start_with(Script::with_messages(3, 0)).await;
        let client = logged_in(&server, dir.path()).await;
        let cached = client
            .community("c")
            .channel("general")
            .messages(None, 50)
            .await
            .expect("history");
        assert_eq!(cached.len(), 3);
        client.close().await.expect("close");
    }
    // The next login finds 6 in the channel; the catch-up's first two reads fail. It is
    // caught up all the same (`logged_in` waits for `CaughtUp`), on this connection.
    let server = Server::start_with(Script::with_messages(6, 2)).await;
    let client = logged_in(&server, dir.path()).await;
    assert_eq!(server.count("get_messages"), 3);
    assert_eq!(server.count("login"), 1);
    let channel = client.community("c").channel("general");
    let mut timeline = channel.subscribe_messages().await.expect("timeline");
    let first = tokio::time::timeout(WAIT, timeline.next())
        .await
        .expect("in time")
        .expect("a reset");
    let Some(MessageUpdate::Reset { messages, .. }) = first.into_iter().next() else {
        panic!("the timeline starts with a reset");
    };
    let seqs: Vec<u64> = messages.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        vec![1, 2, 3, 4, 5, 6],
        "caught up from the cache alone"
    );
    assert_eq!(channel.unread().expect("counts").unread_count, 0);
    client.close().await.expect("close");
}
