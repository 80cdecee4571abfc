//! The life of a thread around its messages: joining (by asking, posting, being mentioned
//! directly or through a group; not through @everyone) and leaving, unread and mention
//! counts of joined threads (exact after every step, following the channel's notification
//! level), the digest through edits and recalls, who receives what, and losing sight of
//! the channel.

use community_protocol::request::*;
use community_protocol::response::JoinedThread;
use community_protocol::{
    ChannelHead, ChannelNotification, Event, Mentions, MessageContent, Permissions, Request,
    Response, Seq, ThreadDigest, ThreadInfo, UserId,
};

use super::threads::{guild, start, thread_ref};
use crate::routing::{Audience, Handled};
use crate::test_support::*;

/// Sends `body` to `channel` of "c" as `user`, mentioning `users` (and @everyone).
#[track_caller]
fn post(
    env: &Env,
    user: &str,
    channel: &str,
    key: &str,
    users: &[&str],
    everyone: bool,
) -> Handled {
    let mut p = send_message("c", channel, key, text(key));
    p.mentions = Mentions {
        users: users.iter().map(|u| (*u).into()).collect(),
        everyone,
        groups: Vec::new(),
    };
    env.ok(user, Request::SendMessage(p))
}

/// `user`'s head of a stream, if they have one (channels they see, threads they joined).
fn head_of(env: &Env, user: &str, stream: &str) -> Option<ChannelHead> {
    let Response::Heads(heads) = env
        .ok(
            user,
            Request::GetHeads(CommunityRef {
                community_id: "c".into(),
            }),
        )
        .response
    else {
        panic!("heads expected")
    };
    heads.heads.into_iter().find(|h| h.channel_id == stream)
}

/// The counts of `user` in a thread, recounted from its whole history.
fn recount(env: &Env, user: &str, thread: &str) -> (u64, u64) {
    let head = head_of(env, user, thread).expect("a joined thread has a head");
    let me = UserId::from(user);
    let groups = env.snapshot(user, "c").me.groups;
    let counted: Vec<_> = env
        .all_messages(user, "c", thread)
        .into_iter()
        .filter(|m| m.seq > head.read_seq && m.counts_for(&me) && !head.hidden.contains(&m.seq))
        .collect();
    let mentions = counted
        .iter()
        .filter(|m| m.mentions.mentions_member(&me, &groups))
        .count();
    (counted.len() as u64, mentions as u64)
}

#[track_caller]
fn assert_exact(env: &Env, users: &[&str], thread: &str, step: &str) {
    for user in users {
        let head = head_of(env, user, thread).expect("joined");
        assert_eq!(
            (head.unread_count, head.mention_count),
            recount(env, user, thread),
            "{user} after {step}"
        );
    }
}

/// The `thread_joined` events of a handled request: (who, read_seq, last_seq).
fn joins(handled: &Handled) -> Vec<(Vec<UserId>, Seq, Seq)> {
    events(handled, |e| match e {
        Event::ThreadJoined { head, .. } => Some((head.read_seq, head.last_seq)),
        _ => None,
    })
    .into_iter()
    .map(|(audience, (read, last))| (users(audience), read, last))
    .collect()
}

/// The digest the parent message `seq` of `channel` shows to `user`.
#[track_caller]
fn digest_of(env: &Env, user: &str, channel: &str, seq: Seq) -> ThreadDigest {
    env.message(user, "c", channel, seq)
        .thread
        .expect("the message has a thread")
}

/// The digest events of a handled request.
fn digests(handled: &Handled) -> Vec<ThreadDigest> {
    events(handled, |e| match e {
        Event::ThreadDigest { digest, .. } => Some(digest.clone()),
        _ => None,
    })
    .into_iter()
    .map(|(_, digest)| digest)
    .collect()
}

#[test]
fn members_join_by_asking_posting_or_being_mentioned() {
    let env = Env::new();
    let general = guild(&env);
    for user in ["eve", "frank"] {
        env.join(user, "c");
    }
    let thread = start(&env, "bob", &general, "plans", None);
    let th = thread.thread_id.as_str();
    env.send("bob", "c", th, "t1", "hello");
    // Asking: reading from the end, told to every session of carol's.
    let handled = env.ok("carol", Request::JoinThread(thread_ref(&thread)));
    let Response::ThreadJoined(JoinedThread { thread: info, head }) = &handled.response else {
        panic!("thread_joined expected")
    };
    assert_eq!(
        (info.member_count, head.read_seq, head.unread_count),
        (2, 1, 0)
    );
    assert_eq!(joins(&handled), [(vec!["carol".into()], 1, 1)]);
    let again = env.ok("carol", Request::JoinThread(thread_ref(&thread)));
    assert!(again.deliveries.is_empty(), "joining twice says nothing");
    // Posting: dave joins before his message, with the head from before it.
    let handled = post(&env, "dave", th, "t2", &[], false);
    assert_eq!(
        event_kinds(&handled),
        ["thread_joined", "message_created", "thread_digest"]
    );
    assert_eq!(joins(&handled), [(vec!["dave".into()], 1, 1)]);
    assert_eq!(
        users(&handled.deliveries[1].audience),
        ["bob", "carol", "dave"]
    );
    // A direct mention joins eve just before the message (unread, a mention); @everyone
    // joins nobody (frank), but counts for the members.
    let handled = post(&env, "alice", th, "t3", &["eve"], true);
    assert_eq!(
        joins(&handled),
        [(vec!["alice".into()], 2, 2), (vec!["eve".into()], 2, 2)]
    );
    let eve = head_of(&env, "eve", th).unwrap();
    assert_eq!((eve.unread_count, eve.mention_count), (1, 1));
    assert!(
        head_of(&env, "frank", th).is_none(),
        "@everyone joins nobody"
    );
    let carol = head_of(&env, "carol", th).unwrap();
    assert_eq!((carol.unread_count, carol.mention_count), (2, 1));
    // A group mention joins its holders.
    let raiders = env.group("alice", "c", "raiders", Permissions::NONE);
    env.assign("alice", "c", "frank", raiders.as_str());
    let mut p = send_message("c", th, "t4", text("raiders!"));
    p.mentions.groups = vec![raiders];
    let handled = env.ok("alice", Request::SendMessage(p));
    assert_eq!(joins(&handled), [(vec!["frank".into()], 3, 3)]);
    let frank = head_of(&env, "frank", th).unwrap();
    assert_eq!((frank.unread_count, frank.mention_count), (1, 1));
    assert_exact(&env, &["bob", "carol", "dave", "eve", "frank"], th, "joins");
    // Leaving: the other sessions hear of it; the head goes; leaving again says nothing.
    let handled = env.ok("carol", Request::LeaveThread(thread_ref(&thread)));
    assert_eq!(event_kinds(&handled), ["thread_left"]);
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::OtherSessionsOfCaller
    );
    assert!(head_of(&env, "carol", th).is_none());
    assert!(
        env.ok("carol", Request::LeaveThread(thread_ref(&thread)))
            .deliveries
            .is_empty()
    );
    // Coming back reads from the end.
    let Response::ThreadJoined(JoinedThread { head, .. }) = env
        .ok("carol", Request::JoinThread(thread_ref(&thread)))
        .response
    else {
        panic!("thread_joined expected")
    };
    assert_eq!(
        (head.read_seq, head.unread_count, head.mention_count),
        (4, 0, 0)
    );
}

#[test]
fn joined_threads_count_like_channels_everywhere_heads_go() {
    let env = Env::new();
    let general = guild(&env);
    let thread = start(&env, "bob", &general, "plans", None);
    let th = thread.thread_id.as_str();
    env.ok("carol", Request::JoinThread(thread_ref(&thread)));
    let readers = ["bob", "carol"];
    post(&env, "bob", th, "t1", &["carol"], false);
    post(&env, "dave", th, "t2", &[], false);
    post(&env, "dave", th, "t3", &["carol"], false);
    post(&env, "carol", th, "t4", &["bob"], false);
    assert_exact(&env, &readers, th, "posts");
    env.change("dave", Request::RecallMessage(message_ref("c", th, 3)));
    assert_exact(&env, &readers, th, "a recall");
    env.ok("carol", Request::HideMessage(message_ref("c", th, 2)));
    assert_exact(&env, &readers, th, "hiding");
    env.change(
        "bob",
        Request::EditMessage(EditMessage {
            community_id: "c".into(),
            channel_id: th.into(),
            seq: 1,
            idempotency_key: "e1".into(),
            content: None,
            mentions: Some(Mentions::default()),
            custom_data: None,
        }),
    );
    assert_exact(&env, &readers, th, "an edit that drops a mention");
    let carol = head_of(&env, "carol", th).unwrap();
    assert_eq!((carol.unread_count, carol.mention_count), (1, 0));
    // Marking read moves the thread's own position; the other devices hear of it.
    let handled = env.ok("carol", mark_read("c", th, 4));
    assert_eq!(
        handled.deliveries[0].audience,
        Audience::OtherSessionsOfCaller
    );
    let Event::ReadStateChanged { head } = &handled.deliveries[0].event else {
        panic!("read_state_changed expected")
    };
    assert_eq!((head.channel_id.as_str(), head.read_seq), (th, 4));
    assert_exact(&env, &readers, th, "marking read");
    // Snapshots and sync carry the joined threads and their heads.
    let snapshot = env.snapshot("carol", "c");
    assert_eq!(
        snapshot
            .threads
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["plans"]
    );
    assert!(snapshot.heads.iter().any(|h| h.channel_id == th));
    assert_eq!(
        env.snapshot("dave", "c").threads.len(),
        1,
        "dave joined by posting"
    );
    assert!(env.snapshot("alice", "c").threads.is_empty());
    let version = snapshot.info.version;
    let Response::Synced(synced) = env
        .ok(
            "carol",
            Request::Sync(Sync {
                known: [("c".into(), version)].into(),
            }),
        )
        .response
    else {
        panic!("synced expected")
    };
    let unchanged = &synced.unchanged[0];
    assert_eq!(unchanged.threads.len(), 1);
    assert!(unchanged.heads.iter().any(|h| h.channel_id == th));
    // The channel's notification level is the thread's: carol's devices get both heads.
    let handled = env.ok(
        "carol",
        Request::SetChannelNotification(SetChannelNotification {
            community_id: "c".into(),
            channel_id: general.as_str().into(),
            level: ChannelNotification::MentionsOnly,
        }),
    );
    let told = events(&handled, |e| match e {
        Event::ReadStateChanged { head } => {
            Some((head.channel_id.to_string(), head.notification_level))
        }
        _ => None,
    });
    assert_eq!(told.len(), 2);
    assert_eq!(told[0].0, &Audience::OtherSessionsOfCaller);
    assert_eq!(told[1].0, &Audience::Users(vec!["carol".into()]));
    assert_eq!(
        told[1].1,
        (th.to_owned(), ChannelNotification::MentionsOnly)
    );
    assert_eq!(
        head_of(&env, "carol", th).unwrap().notification_level,
        ChannelNotification::MentionsOnly
    );
}

#[test]
fn the_digest_is_exact_through_edits_and_recalls() {
    let env = Env::new();
    let general = guild(&env);
    let m1 = env.send("alice", "c", &general, "k1", "topic").seq;
    let thread = start(&env, "bob", &general, "plans", Some(m1));
    let th = thread.thread_id.as_str();
    let steps = [("bob", "t1"), ("carol", "t2"), ("bob", "t3")];
    for (i, (user, key)) in steps.into_iter().enumerate() {
        env.clock.advance(5);
        let handled = post(&env, user, th, key, &[], false);
        let shown = digest_of(&env, "dave", &general, m1);
        assert_eq!(
            digests(&handled),
            std::slice::from_ref(&shown),
            "the event is the answer's"
        );
        let last = shown.last.expect("a last message");
        assert_eq!(shown.message_count, i as u64 + 1);
        assert_eq!(
            (
                last.seq,
                last.sender_id.as_str(),
                last.text.as_str(),
                last.at_ms
            ),
            (i as u64 + 1, user, key, env.clock.now())
        );
        assert_eq!(shown.last_activity_ms, env.clock.now());
    }
    assert_eq!(digest_of(&env, "dave", &general, m1).participant_count, 2);
    // An edit of the newest message shows; of an older one, changes nothing.
    let handled = env.ok("bob", edit_text("c", th, 3, "e1", "t3, edited\nmore"));
    assert_eq!(
        digests(&handled)[0].last.as_ref().unwrap().text,
        "t3, edited"
    );
    let handled = env.ok("bob", edit_text("c", th, 1, "e2", "t1, edited"));
    assert!(digests(&handled).is_empty());
    // Recalling the newest: the one before takes its place; the count stays.
    let handled = env.ok("bob", Request::RecallMessage(message_ref("c", th, 3)));
    let digest = &digests(&handled)[0];
    let last = digest.last.as_ref().unwrap();
    assert_eq!(
        (digest.message_count, last.seq, last.sender_id.as_str()),
        (3, 2, "carol")
    );
    assert_eq!(digest_of(&env, "dave", &general, m1), digest.clone());
    let handled = env.ok("bob", Request::RecallMessage(message_ref("c", th, 1)));
    assert!(digests(&handled).is_empty(), "not the message shown");
    env.ok("carol", Request::RecallMessage(message_ref("c", th, 2)));
    let digest = digest_of(&env, "dave", &general, m1);
    assert_eq!((digest.message_count, digest.last), (3, None));
    assert_eq!(digest.participant_count, 2, "participants stay");
    // Media shows its label; every answer carries the digest (pins, resends).
    let image = MessageContent::Image(community_protocol::Media {
        url: "https://example.com/a.png".into(),
        name: "a.png".into(),
        mime: "image/png".into(),
        size: 10,
        width: None,
        height: None,
        duration_ms: None,
    });
    env.ok(
        "dave",
        Request::SendMessage(send_message("c", th, "t4", image)),
    );
    assert_eq!(
        digest_of(&env, "alice", &general, m1).last.unwrap().text,
        "[image]"
    );
    env.change("alice", Request::PinMessage(message_ref("c", &general, m1)));
    let Response::Messages(pins) = env
        .ok(
            "carol",
            Request::ListPins(ChannelRef {
                community_id: "c".into(),
                channel_id: general.as_str().into(),
            }),
        )
        .response
    else {
        panic!("messages expected")
    };
    assert_eq!(pins.messages[0].thread.as_ref().unwrap().message_count, 4);
    let resent = env.send("alice", "c", &general, "k1", "topic");
    assert_eq!(resent.thread.unwrap().message_count, 4);
}

#[test]
fn messages_reach_the_members_and_digests_the_channels_readers() {
    let env = Env::new();
    guild(&env);
    let ops = env.channel("alice", "c", "ops", true);
    env.ok(
        "alice",
        Request::AddChannelMembers(ChannelMembers {
            community_id: "c".into(),
            channel_id: ops.as_str().into(),
            user_ids: vec!["bob".into(), "carol".into()],
        }),
    );
    let thread = start(&env, "bob", &ops, "secret plans", None);
    let th = thread.thread_id.as_str();
    // Dave cannot see the channel: a mention does not join him.
    let handled = post(&env, "bob", th, "t1", &["dave"], false);
    let created = events(&handled, |e| match e {
        Event::MessageCreated { .. } => Some(()),
        _ => None,
    });
    assert_eq!(users(created[0].0), ["bob"], "only the members");
    let digest = events(&handled, |e| match e {
        Event::ThreadDigest { .. } => Some(()),
        _ => None,
    });
    let members = ["alice", "bob", "carol", "dave"];
    let reached: Vec<&str> = members
        .into_iter()
        .filter(|user| reaches(digest[0].0, user, &members))
        .collect();
    assert_eq!(reached, ["alice", "bob", "carol"], "the channel's readers");
    assert_eq!(
        env.err("dave", Request::JoinThread(thread_ref(&thread))),
        community_protocol::ErrorCode::THREAD_NOT_FOUND
    );
    // A reader who did not join reacts: the change reaches the members and them.
    let handled = env.ok("carol", react("c", th, 1, "👍", true));
    assert_eq!(users(&handled.deliveries[0].audience), ["bob", "carol"]);
}

#[test]
fn losing_sight_of_the_channel_leaves_its_threads() {
    let env = Env::new();
    guild(&env);
    let ops = env.channel("alice", "c", "ops", true);
    let members = |add: bool, users: &[&str]| {
        let p = ChannelMembers {
            community_id: "c".into(),
            channel_id: ops.as_str().into(),
            user_ids: users.iter().map(|u| (*u).into()).collect(),
        };
        if add {
            Request::AddChannelMembers(p)
        } else {
            Request::RemoveChannelMembers(p)
        }
    };
    env.ok("alice", members(true, &["bob", "carol", "dave"]));
    let thread = start(&env, "bob", &ops, "plans", None);
    let th = thread.thread_id.as_str();
    for user in ["carol", "dave"] {
        env.ok(user, Request::JoinThread(thread_ref(&thread)));
    }
    post(&env, "bob", th, "t1", &[], false);
    let handled = env.ok("alice", members(false, &["carol"]));
    assert_eq!(event_kinds(&handled), ["thread_left", "channel_removed"]);
    assert_eq!(users(&handled.deliveries[0].audience), ["carol"]);
    let Event::ThreadLeft { thread_id, .. } = &handled.deliveries[0].event else {
        panic!("thread_left expected")
    };
    assert_eq!(thread_id.as_str(), th);
    assert!(head_of(&env, "carol", th).is_none());
    assert!(env.snapshot("carol", "c").threads.is_empty());
    // Back in the channel, not back in the thread.
    env.ok("alice", members(true, &["carol"]));
    assert!(head_of(&env, "carol", th).is_none());
    let info: ThreadInfo = super::threads::get(&env, "bob", &thread);
    assert_eq!(info.member_count, 2, "bob and dave");
    // An override that hides a channel does the same.
    let general = env
        .snapshot("alice", "c")
        .info
        .default_channel_id
        .to_string();
    let lounge = start(&env, "bob", &general, "lounge", None);
    env.ok("dave", Request::JoinThread(thread_ref(&lounge)));
    let handled = env.set_override(
        "alice",
        "c",
        &general,
        for_member("dave"),
        Permissions::NONE,
        Permissions::VIEW_CHANNEL,
    );
    assert_eq!(
        event_kinds(&handled),
        ["channel_updated", "thread_left", "channel_removed"]
    );
    assert!(head_of(&env, "dave", lounge.thread_id.as_str()).is_none());
    assert!(
        head_of(&env, "dave", th).is_some(),
        "other channels' threads stay"
    );
    // Leaving the community takes every thread along.
    env.ok(
        "bob",
        Request::LeaveCommunity(CommunityRef {
            community_id: "c".into(),
        }),
    );
    assert_eq!(
        super::threads::get(&env, "alice", &thread).member_count,
        1,
        "bob went, dave stays"
    );
}
