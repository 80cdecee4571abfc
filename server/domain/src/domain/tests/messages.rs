use std::sync::Arc;

use community_protocol::request::*;
use community_protocol::response::MessagesPage;
use community_protocol::{
    ErrorCode, Event, Limits, Media, Mentions, MessageContent, Priority, Request, Response,
};

use crate::routing::Audience;
use crate::test_support::*;

fn guild() -> (Env, String) {
    let env = Env::new();
    let general = env.create("alice", "g").info.default_channel_id;
    env.join("bob", "g");
    (env, general.to_string())
}

fn history(channel: &str, before: Option<u64>, after: Option<u64>, limit: Option<u32>) -> Request {
    Request::GetMessages(GetMessages {
        community_id: "g".into(),
        channel_id: channel.into(),
        before_seq: before,
        after_seq: after,
        limit,
    })
}

fn seqs(env: &Env, request: Request) -> (Vec<u64>, bool) {
    let Response::Messages(MessagesPage {
        messages, has_more, ..
    }) = env.ok("bob", request).response
    else {
        panic!()
    };
    (messages.iter().map(|m| m.seq).collect(), has_more)
}

#[test]
fn send_assigns_sequences_and_tells_the_community() {
    let (env, general) = guild();
    let handled = env.ok("bob", send("g", &general, "k1", "hello"));
    let Response::MessageSent(message) = &handled.response else {
        panic!()
    };
    assert_eq!((message.seq, message.sender_id.as_str()), (1, "bob"));
    assert_eq!(message.created_at_ms, T0);
    assert_eq!(handled.deliveries.len(), 1);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::Community("g".into())
    );
    assert!(
        matches!(&handled.deliveries[0].event, Event::MessageCreated { message: m } if m == message)
    );
    assert_eq!(
        env.send("alice", "g", &general, "k1", "same key, other sender")
            .seq,
        2
    );
    assert_eq!(env.send("bob", "g", &general, "k2", "third").seq, 3);
}

#[test]
fn resend_with_same_key_returns_the_first_message() {
    let (env, general) = guild();
    let first = env.send("bob", "g", &general, "key-1", "hello");
    env.clock.advance(1_000);
    let handled = env.ok("bob", send("g", &general, "key-1", "hello (retry)"));
    assert_eq!(handled.response, Response::MessageSent(first.clone()));
    assert!(handled.deliveries.is_empty(), "a resend emits nothing");
    assert_eq!(env.head("bob", "g", &general).last_seq, 1);
    let (all, _) = seqs(&env, history(&general, None, None, None));
    assert_eq!(all, [1]);
    // The same key in another channel is a client bug: refused, not silently merged.
    let other = env.channel("alice", "g", "other", false);
    assert_eq!(
        env.err("bob", send("g", &other, "key-1", "x")),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    assert_eq!(
        env.err("bob", send("g", &general, "", "x")),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    assert_eq!(
        env.err("bob", send("g", &general, &"k".repeat(65), "x")),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    env.send("bob", "g", &general, &"k".repeat(64), "longest key");
}

#[test]
fn message_size_and_mention_limits() {
    let (env, general) = guild();
    let msg = |content| Request::SendMessage(send_message("g", &general, "k", content));
    assert_eq!(
        env.err("bob", msg(text(&"x".repeat(12 * 1024 + 1)))),
        ErrorCode::MESSAGE_TOO_LARGE
    );
    assert_eq!(env.err("bob", msg(text(""))), ErrorCode::INVALID_ARGUMENT);
    let custom = |n| MessageContent::Custom {
        data: "d".repeat(n),
        description: String::new(),
    };
    assert_eq!(
        env.err("bob", msg(custom(8 * 1024 + 1))),
        ErrorCode::CUSTOM_PAYLOAD_TOO_LARGE
    );
    let image = |url: String| {
        MessageContent::Image(Media {
            url,
            ..Default::default()
        })
    };
    assert_eq!(
        env.err("bob", msg(image(String::new()))),
        ErrorCode::INVALID_ARGUMENT
    );
    let mentions = |n: usize| {
        let mut p = send_message("g", &general, "m", text("hi"));
        p.mentions = Mentions {
            users: (0..n).map(|i| format!("u{i}").into()).collect(),
            everyone: false,
            groups: Vec::new(),
        };
        Request::SendMessage(p)
    };
    assert_eq!(env.err("bob", mentions(31)), ErrorCode::TOO_MANY_MENTIONS);
    env.ok("bob", mentions(30));
    env.ok("bob", msg(text(&"x".repeat(12 * 1024))));
    let Response::MessageSent(stored) = env
        .ok(
            "bob",
            Request::SendMessage(send_message("g", &general, "c", custom(8 * 1024))),
        )
        .response
    else {
        panic!()
    };
    assert!(matches!(stored.content, MessageContent::Custom { .. }));
    let Response::MessageSent(stored) = env
        .ok(
            "bob",
            Request::SendMessage(send_message(
                "g",
                &general,
                "i",
                image("https://x/y.png".into()),
            )),
        )
        .response
    else {
        panic!()
    };
    assert_eq!(stored.seq, 4);
}

#[test]
fn send_permissions() {
    let (env, general) = guild();
    let system = MessageContent::System {
        event: "member_joined".into(),
        text: "bob joined".into(),
    };
    let request = || Request::SendMessage(send_message("g", &general, "s", system.clone()));
    assert_eq!(env.err("bob", request()), ErrorCode::PERMISSION_DENIED);
    env.ok("alice", request());
    assert_eq!(
        env.err("carol", send("g", &general, "k", "hi")),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err("bob", send("g", "ch_missing", "k", "hi")),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    assert_eq!(
        env.err("bob", send("nope", &general, "k", "hi")),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
    // A channel of another community is not found through this one.
    let other = env.create("bob", "other").info.default_channel_id;
    assert_eq!(
        env.err("bob", send("g", other.as_str(), "k", "hi")),
        ErrorCode::CHANNEL_NOT_FOUND
    );
    let mut reply = send_message("g", &general, "r", text("re"));
    reply.reply_to = Some(5);
    assert_eq!(
        env.err("bob", Request::SendMessage(reply.clone())),
        ErrorCode::MESSAGE_NOT_FOUND
    );
    reply.reply_to = Some(1);
    let Response::MessageSent(stored) = env.ok("bob", Request::SendMessage(reply)).response else {
        panic!()
    };
    assert_eq!(stored.reply_to, Some(1));
}

#[test]
fn rate_limit_drops_low_then_normal_never_high() {
    let env = Env::with_limits(Limits {
        channel_messages_per_second: 2,
        ..Limits::default()
    });
    let general = env.create("alice", "g").info.default_channel_id;
    let with = |key: &str, priority| {
        let mut p = send_message("g", general.as_str(), key, text("x"));
        p.priority = priority;
        Request::SendMessage(p)
    };
    env.ok("alice", with("l1", Priority::Low));
    env.ok("alice", with("l2", Priority::Low));
    assert_eq!(
        env.err("alice", with("l3", Priority::Low)),
        ErrorCode::CHANNEL_RATE_LIMITED
    );
    env.ok("alice", with("n1", Priority::Normal));
    env.ok("alice", with("n2", Priority::Normal));
    assert_eq!(
        env.err("alice", with("n3", Priority::Normal)),
        ErrorCode::CHANNEL_RATE_LIMITED
    );
    for i in 0..10 {
        env.ok("alice", with(&format!("h{i}"), Priority::High));
    }
    // Dropped messages take no sequence: 2 low + 2 normal + 10 high.
    assert_eq!(env.head("alice", "g", general.as_str()).last_seq, 14);
    // Another channel has its own window; a second later the window is free again.
    let other = env.channel("alice", "g", "other", false);
    let mut p = send_message("g", &other, "o1", text("x"));
    p.priority = Priority::Low;
    env.ok("alice", Request::SendMessage(p));
    env.clock.advance(1_000);
    env.ok("alice", with("l3", Priority::Low));
}

#[test]
fn history_pages_in_both_directions() {
    let (env, general) = guild();
    for i in 1..=250 {
        // 50 messages per second: under the channel's rate limit.
        env.clock.advance(20);
        env.send("alice", "g", &general, &format!("k{i}"), "m");
    }
    let range = |from: u64, to: u64| (from..=to).collect::<Vec<u64>>();
    assert_eq!(
        seqs(&env, history(&general, None, None, None)),
        (range(151, 250), true)
    );
    assert_eq!(
        seqs(&env, history(&general, Some(151), None, None)),
        (range(51, 150), true)
    );
    assert_eq!(
        seqs(&env, history(&general, Some(51), None, None)),
        (range(1, 50), false)
    );
    assert_eq!(
        seqs(&env, history(&general, None, Some(200), None)),
        (range(201, 250), false)
    );
    assert_eq!(
        seqs(&env, history(&general, None, Some(0), Some(10))),
        (range(1, 10), true)
    );
    assert_eq!(
        seqs(&env, history(&general, Some(20), Some(10), Some(5))),
        (range(11, 15), true)
    );
    assert_eq!(
        seqs(&env, history(&general, Some(20), Some(10), None)),
        (range(11, 19), false)
    );
    assert_eq!(
        seqs(&env, history(&general, None, Some(250), None)),
        (vec![], false)
    );
    assert_eq!(
        env.err("bob", history(&general, None, None, Some(101))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    assert_eq!(
        env.err("bob", history(&general, None, None, Some(0))),
        ErrorCode::PAGE_SIZE_TOO_LARGE
    );
    assert_eq!(
        env.err("carol", history(&general, None, None, None)),
        ErrorCode::NOT_MEMBER
    );
}

#[test]
fn concurrent_senders_get_gap_free_sequences() {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    // The rate limit is tested on its own; here the clock stands still, so it is off.
    let env = Arc::new(Env::with_limits(Limits {
        channel_messages_per_second: 0,
        ..Limits::default()
    }));
    let general = env.create("alice", "g").info.default_channel_id;
    env.join("bob", "g");
    for t in 0..THREADS {
        env.join(&format!("user{t}"), "g");
    }
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let env = Arc::clone(&env);
            let general = general.clone();
            std::thread::spawn(move || {
                let user = format!("user{t}");
                (0..EACH)
                    .map(|i| {
                        let message =
                            env.send(&user, "g", general.as_str(), &format!("k{i}"), "hi");
                        // Every acknowledged message comes back unchanged on a retry.
                        let again = env.send(&user, "g", general.as_str(), &format!("k{i}"), "hi");
                        assert_eq!(again, message);
                        message.seq
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<u64> = (1..=(THREADS * EACH) as u64).collect();
    assert_eq!(all, expected);
    let (stored_first, _) = seqs(&env, history(general.as_str(), None, Some(0), Some(100)));
    let (stored_second, more) = seqs(&env, history(general.as_str(), None, Some(100), Some(100)));
    assert_eq!(stored_first, (1..=100).collect::<Vec<_>>());
    assert_eq!(stored_second, (101..=200).collect::<Vec<_>>());
    assert!(!more);
}

#[test]
fn unsupported_content_is_refused() {
    let (env, general) = guild();
    // What `{"type":"poll"}` (a content type from a newer version) decodes to.
    let content: MessageContent = serde_json::from_str(r#"{"type":"poll","q":"?"}"#).unwrap();
    assert_eq!(content, MessageContent::Unsupported);
    let request = Request::SendMessage(send_message("g", &general, "k", content));
    assert_eq!(env.err("bob", request), ErrorCode::INVALID_ARGUMENT);
    let (seqs, _) = seqs(&env, history(&general, None, None, None));
    assert!(seqs.is_empty(), "nothing stored");
}
