//! The hub's side of digest coalescing: fan-out through the slots, windows closed by
//! [`Hub::flush_digests`], purges by the events that end a thread's story, all on explicit
//! instants (no sleeping).

use std::sync::Arc;
use std::time::{Duration, Instant};

use community_protocol::{Event, ThreadDigest, UserId};
use community_server_domain::{Audience, Delivery};

use super::{Hub, Outbox, Session, Taken};

const WINDOW: Duration = Duration::from_millis(1_000);

fn digest(thread: &str, count: u64) -> Delivery {
    Delivery {
        audience: Audience::Community("c1".into()),
        event: Event::ThreadDigest {
            community_id: "c1".into(),
            channel_id: "ch".into(),
            parent_seq: Some(1),
            digest: ThreadDigest {
                thread_id: thread.into(),
                name: "plans".into(),
                message_count: count,
                last: None,
                participant_count: 1,
                last_activity_ms: 0,
                archived: false,
            },
        },
        counting: None,
    }
}

fn removed(thread: &str) -> Delivery {
    Delivery {
        audience: Audience::Community("c1".into()),
        event: Event::ThreadRemoved {
            community_id: "c1".into(),
            thread_id: thread.into(),
            parent_channel_id: "ch".into(),
        },
        counting: None,
    }
}

/// What the writer of `outbox` would send now: each digest as `thread:message_count`,
/// other events by kind.
fn received(session: &Session, outbox: u64) -> Vec<String> {
    let mut out = Vec::new();
    assert!(matches!(
        session.take_events(outbox, &mut out),
        Taken::Events(_)
    ));
    out.into_iter()
        .map(|(_, body)| {
            let event: Event = serde_json::from_str(&body).unwrap();
            match event {
                Event::ThreadDigest { digest, .. } => {
                    format!("{}:{}", digest.thread_id, digest.message_count)
                }
                other => other.kind().to_owned(),
            }
        })
        .collect()
}

fn hub_with_two() -> (Hub, Vec<Arc<Session>>) {
    let hub = Hub::new(64, 64, 8).with_digest_window(WINDOW);
    let sessions: Vec<Arc<Session>> = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let session = hub.new_session(&UserId::from(*user), "");
            hub.register(&session, vec!["c1".into()]);
            session
                .attach(&Arc::new(Outbox::new(i as u64, 4)), 0)
                .unwrap();
            session
        })
        .collect();
    (hub, sessions)
}

#[test]
fn each_session_gets_one_digest_per_thread_per_window_and_the_newest_at_its_end() {
    let (hub, s) = hub_with_two();
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    assert_eq!(hub.deliver_at(&[digest("th_1", 1)], None, at(0)), 2);
    for (count, ms) in [(2, 100), (3, 600), (4, 999)] {
        assert_eq!(hub.deliver_at(&[digest("th_1", count)], None, at(ms)), 0);
    }
    // Another thread has a window of its own.
    assert_eq!(hub.deliver_at(&[digest("th_2", 1)], None, at(300)), 2);
    assert_eq!(hub.flush_digests(at(999)), 0);
    assert_eq!(
        hub.flush_digests(at(1_000)),
        2,
        "th_1's newest, once per session"
    );
    assert_eq!(received(&s[0], 0), ["th_1:1", "th_2:1", "th_1:4"]);
    // th_2's window closes with nothing pending; th_1's second window too.
    assert_eq!(hub.flush_digests(at(1_300)), 0);
    assert_eq!(hub.flush_digests(at(2_000)), 0);
    assert_eq!(hub.digest_timer.len(), 0, "no slot, no timer left");
    assert_eq!(hub.lock().gates.len(), 0, "no gate either");
    assert_eq!(hub.deliver_at(&[digest("th_1", 5)], None, at(2_100)), 2);
    assert_eq!(received(&s[1], 1), ["th_1:1", "th_2:1", "th_1:4", "th_1:5"]);
}

#[test]
fn a_removal_drops_the_pending_digest_and_a_detached_session_still_gets_its_last() {
    let (hub, s) = hub_with_two();
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    hub.deliver_at(&[digest("th_1", 1)], None, at(0));
    hub.deliver_at(&[digest("th_1", 2)], None, at(10));
    // Session b's connection goes away: its pending digest still reaches its ring.
    s[1].release(1);
    hub.deliver_at(&[digest("th_1", 3)], None, at(20));
    hub.deliver_at(&[removed("th_1")], None, at(30));
    assert_eq!(hub.flush_digests(at(1_000)), 0, "the thread is gone");
    assert_eq!(received(&s[0], 0), ["th_1:1", "thread_removed"]);
    let t = hub.deliver_at(&[digest("th_9", 1), digest("th_9", 2)], None, at(40));
    assert_eq!(t, 2, "the first one each, the second held");
    assert_eq!(hub.flush_digests(at(1_040)), 2);
    let outbox = Arc::new(Outbox::new(7, 4));
    s[1].attach(&outbox, 0).unwrap();
    assert_eq!(
        received(&s[1], 7),
        ["th_1:1", "thread_removed", "th_9:1", "th_9:2"],
        "replayed on resume"
    );
}

#[test]
fn a_busy_thread_visits_the_sessions_once_a_window_and_follows_its_audience() {
    let (hub, s) = hub_with_two();
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    hub.deliver_at(&[digest("th_1", 1)], None, at(0));
    // Held at the thread's gate: no session is visited until the window closes.
    for count in 2..=40 {
        assert_eq!(
            hub.deliver_at(&[digest("th_1", count)], None, at(count * 20)),
            0
        );
    }
    assert_eq!(hub.lock().gates.len(), 1);
    assert_eq!(hub.flush_digests(at(1_000)), 2);
    // Someone lost sight: the domain sends the next digest to another audience, which the
    // gate does not hold back (the slots still pace each session).
    let mut only_a = digest("th_1", 41);
    only_a.audience = Audience::Users(vec!["a".into()]);
    assert_eq!(
        hub.deliver_at(&[only_a], None, at(1_100)),
        0,
        "a's slot paces it"
    );
    assert_eq!(hub.flush_digests(at(2_000)), 1, "to a only");
    assert_eq!(received(&s[0], 0), ["th_1:1", "th_1:40", "th_1:41"]);
    assert_eq!(received(&s[1], 1), ["th_1:1", "th_1:40"]);
}
