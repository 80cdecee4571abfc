//! Threads as operations: starting one from a message (once) or free-standing, the message
//! model inside it, permissions checked in its channel, archive (by hand and by
//! inactivity, with a hand-moved clock), lock, rename, delete, the lists. Joining, counts,
//! digests and deliveries are in `thread_life`. The fixtures here serve both.

use community_protocol::request::*;
use community_protocol::{
    ErrorCode, Event, Limits, Permissions, Request, Response, Seq, ThreadInfo,
};

use crate::routing::Audience;
use crate::test_support::*;

/// The hour of the shortest auto-archive delay.
pub(super) const HOUR: i64 = 3_600_000;

/// Community "c" owned by alice, with bob, carol and dave as members; its default channel.
pub(super) fn guild(env: &Env) -> String {
    let general = env.create("alice", "c").info.default_channel_id.to_string();
    for user in ["bob", "carol", "dave"] {
        env.join(user, "c");
    }
    general
}

/// `create_thread` in community "c".
pub(super) fn new_thread(channel: &str, name: &str, parent_seq: Option<Seq>) -> Request {
    Request::CreateThread(CreateThread {
        community_id: "c".into(),
        channel_id: channel.into(),
        name: name.into(),
        parent_seq,
        auto_archive_ms: None,
    })
}

/// Starts a thread that must be created; returns it.
#[track_caller]
pub(super) fn start(
    env: &Env,
    user: &str,
    channel: &str,
    name: &str,
    parent_seq: Option<Seq>,
) -> ThreadInfo {
    match env.ok(user, new_thread(channel, name, parent_seq)).response {
        Response::Thread(thread) => thread,
        other => panic!("unexpected {other:?}"),
    }
}

/// A reference to a thread of "c".
pub(super) fn thread_ref(thread: &ThreadInfo) -> ThreadRef {
    ThreadRef {
        community_id: "c".into(),
        thread_id: thread.thread_id.clone(),
    }
}

/// `update_thread` of a thread of "c" changing nothing yet.
pub(super) fn update(thread: &ThreadInfo) -> UpdateThread {
    UpdateThread {
        community_id: "c".into(),
        thread_id: thread.thread_id.clone(),
        ..Default::default()
    }
}

/// A thread as `user` reads it.
#[track_caller]
pub(super) fn get(env: &Env, user: &str, thread: &ThreadInfo) -> ThreadInfo {
    match env
        .ok(user, Request::GetThread(thread_ref(thread)))
        .response
    {
        Response::Thread(thread) => thread,
        other => panic!("unexpected {other:?}"),
    }
}

/// A page of a channel's threads (names, and the next cursor).
#[track_caller]
fn list(
    env: &Env,
    channel: &str,
    archived: bool,
    cursor: Option<String>,
    limit: Option<u32>,
) -> (Vec<String>, Option<String>) {
    let request = Request::ListThreads(ListThreads {
        community_id: "c".into(),
        channel_id: channel.into(),
        archived,
        cursor,
        limit,
    });
    match env.ok("bob", request).response {
        Response::Threads(page) => (
            page.threads.into_iter().map(|t| t.name).collect(),
            page.next_cursor,
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_thread_starts_from_a_message_once_or_free_standing() {
    let env = Env::new();
    let general = guild(&env);
    let m1 = env.send("bob", "c", &general, "k1", "raid tonight?").seq;
    let handled = env.ok("bob", new_thread(&general, "raid plan", Some(m1)));
    let Response::Thread(thread) = &handled.response else {
        panic!("thread expected")
    };
    assert!(thread.thread_id.as_str().starts_with("th_"));
    assert_eq!(
        (
            thread.parent_channel_id.as_str(),
            thread.parent_seq,
            thread.created_by.as_str()
        ),
        (general.as_str(), Some(m1), "bob")
    );
    assert_eq!((thread.message_count, thread.member_count), (0, 1));
    assert_eq!(
        thread.auto_archive_ms,
        Limits::default().thread_auto_archive_ms
    );
    assert_eq!(
        event_kinds(&handled),
        ["thread_updated", "thread_joined", "thread_digest"]
    );
    assert!(matches!(
        handled.deliveries[0].audience,
        Audience::Community(_)
    ));
    assert_eq!(users(&handled.deliveries[1].audience), ["bob"]);
    // The parent message shows the digest in every answer.
    let parent = env.message("carol", "c", &general, m1);
    let digest = parent.thread.expect("the message carries its thread");
    assert_eq!(
        (
            digest.thread_id.clone(),
            digest.name.as_str(),
            digest.message_count
        ),
        (thread.thread_id.clone(), "raid plan", 0)
    );
    // One thread per message; a message that does not exist; a thread inside a thread.
    assert_eq!(
        env.err("carol", new_thread(&general, "again", Some(m1))),
        ErrorCode::THREAD_EXISTS
    );
    assert_eq!(
        env.err("carol", new_thread(&general, "ghost", Some(9))),
        ErrorCode::MESSAGE_NOT_FOUND
    );
    assert_eq!(
        env.err(
            "carol",
            new_thread(thread.thread_id.as_str(), "nested", None)
        ),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(
        env.err("carol", new_thread(&general, " ", None)),
        ErrorCode::CHANNEL_NAME_TOO_LONG
    );
    let mut too_short = new_thread(&general, "short", None);
    if let Request::CreateThread(p) = &mut too_short {
        p.auto_archive_ms = Some(60_000);
    }
    assert_eq!(env.err("carol", too_short), ErrorCode::INVALID_AUTO_ARCHIVE);
    // Free-standing: no parent message.
    let free = start(&env, "carol", &general, "off topic", None);
    assert_eq!(free.parent_seq, None);
    assert_eq!(get(&env, "dave", &free), free);
    // A recalled message takes no thread.
    let m2 = env.send("bob", "c", &general, "k2", "oops").seq;
    env.change(
        "bob",
        Request::RecallMessage(message_ref("c", &general, m2)),
    );
    assert_eq!(
        env.err("bob", new_thread(&general, "late", Some(m2))),
        ErrorCode::MESSAGE_RECALLED
    );
}

#[test]
fn a_channel_holds_a_bounded_number_of_active_threads() {
    let env = Env::with_limits(Limits {
        max_active_threads_per_channel: 2,
        ..Limits::default()
    });
    let general = guild(&env);
    let first = start(&env, "bob", &general, "one", None);
    start(&env, "bob", &general, "two", None);
    assert_eq!(
        env.err("bob", new_thread(&general, "three", None)),
        ErrorCode::TOO_MANY_THREADS
    );
    // An archived thread makes room; unarchiving it needs room again.
    let mut archive = update(&first);
    archive.archived = Some(true);
    env.ok("bob", Request::UpdateThread(archive));
    start(&env, "bob", &general, "three", None);
    let mut unarchive = update(&first);
    unarchive.archived = Some(false);
    assert_eq!(
        env.err("bob", Request::UpdateThread(unarchive)),
        ErrorCode::TOO_MANY_THREADS
    );
}

#[test]
fn a_thread_has_the_whole_message_model_of_a_channel() {
    let env = Env::new();
    let general = guild(&env);
    let thread = start(&env, "bob", &general, "plans", None);
    let th = thread.thread_id.as_str();
    let first = env.send("bob", "c", th, "t1", "first");
    let second = env.send("carol", "c", th, "t2", "second");
    assert_eq!((first.seq, second.seq), (1, 2), "sequences of its own");
    assert_eq!(first.channel_id.as_str(), th);
    assert_eq!(
        env.head("alice", "c", &general).last_seq,
        0,
        "the channel's stay"
    );
    // A resend answers the stored message; the key is the sender's across streams.
    assert_eq!(env.send("bob", "c", th, "t1", "first"), first);
    assert_eq!(
        env.err("bob", send("c", &general, "t1", "elsewhere")),
        ErrorCode::INVALID_IDEMPOTENCY_KEY
    );
    // Replies, edits, reactions, pins and their own change sequence.
    let mut reply = send_message("c", th, "t3", text("re"));
    reply.reply_to = Some(1);
    let Response::MessageSent(reply) = env.ok("dave", Request::SendMessage(reply)).response else {
        panic!("sent expected")
    };
    assert_eq!(reply.reply_preview.map(|p| p.text), Some("first".into()));
    let edited = env.change("bob", edit_text("c", th, 1, "e1", "first!"));
    assert_eq!(edited.change.map(|c| c.change_seq), Some(1));
    env.change("carol", react("c", th, 1, "👍", true));
    env.change("alice", Request::PinMessage(message_ref("c", th, 2)));
    let changes = env.all_changes("dave", "c", th, Some(2));
    assert_eq!(
        changes.iter().map(|c| c.change_seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let Response::Messages(pins) = env
        .ok(
            "dave",
            Request::ListPins(ChannelRef {
                community_id: "c".into(),
                channel_id: th.into(),
            }),
        )
        .response
    else {
        panic!("messages expected")
    };
    assert_eq!(pins.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [2]);
    assert_eq!(env.all_messages("carol", "c", th).len(), 3);
    // Its notification level is its channel's.
    assert_eq!(
        env.err(
            "bob",
            Request::SetChannelNotification(SetChannelNotification {
                community_id: "c".into(),
                channel_id: th.into(),
                level: community_protocol::ChannelNotification::None,
            })
        ),
        ErrorCode::INVALID_ARGUMENT
    );
}

#[test]
fn permissions_are_those_of_the_channel_with_send_in_threads() {
    let env = Env::new();
    let general = guild(&env);
    let m1 = env.send("alice", "c", &general, "k1", "topic").seq;
    let thread = start(&env, "alice", &general, "talk", Some(m1));
    let th = thread.thread_id.as_str();
    // An override takes create_threads from everyone: refused before anything else.
    env.set_override(
        "alice",
        "c",
        &general,
        for_group("everyone"),
        Permissions::NONE,
        Permissions::CREATE_THREADS,
    );
    assert_eq!(
        env.err("bob", new_thread(&general, "mine", None)),
        ErrorCode::PERMISSION_DENIED
    );
    // send_in_threads taken: the channel still takes bob's messages, the thread not.
    env.set_override(
        "alice",
        "c",
        &general,
        for_member("bob"),
        Permissions::NONE,
        Permissions::SEND_IN_THREADS,
    );
    env.send("bob", "c", &general, "k2", "in the channel");
    assert_eq!(
        env.err("bob", send("c", th, "k3", "in the thread")),
        ErrorCode::PERMISSION_DENIED
    );
    // send_messages taken, send_in_threads kept: the other way round.
    env.set_override(
        "alice",
        "c",
        &general,
        for_member("carol"),
        Permissions::NONE,
        Permissions::SEND_MESSAGES,
    );
    assert_eq!(
        env.err("carol", send("c", &general, "k4", "channel")),
        ErrorCode::PERMISSION_DENIED
    );
    env.send("carol", "c", th, "k5", "thread");
    // Without sight of the channel the thread does not exist for the caller.
    env.set_override(
        "alice",
        "c",
        &general,
        for_member("dave"),
        Permissions::NONE,
        Permissions::VIEW_CHANNEL,
    );
    assert_eq!(
        env.err("dave", Request::GetThread(thread_ref(&thread))),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert_eq!(
        env.err("dave", send("c", th, "k6", "hi")),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert_eq!(
        env.err("dave", Request::JoinThread(thread_ref(&thread))),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert_eq!(
        env.err("bob", send("c", "th_00000000000000000000", "k7", "hi")),
        ErrorCode::THREAD_NOT_FOUND
    );
    // A non-member of the community.
    assert_eq!(
        env.err("mallory", Request::GetThread(thread_ref(&thread))),
        ErrorCode::NOT_MEMBER
    );
}

#[test]
fn an_archived_thread_is_read_only_by_hand_and_by_inactivity() {
    let env = Env::new();
    let general = guild(&env);
    let thread = start(&env, "bob", &general, "plans", None);
    let th = thread.thread_id.as_str();
    env.send("carol", "c", th, "k1", "hello");
    let mut archive = update(&thread);
    archive.archived = Some(true);
    let handled = env.ok("bob", Request::UpdateThread(archive));
    assert_eq!(event_kinds(&handled), ["thread_updated", "thread_digest"]);
    for (request, what) in [
        (send("c", th, "k2", "too late"), "send"),
        (edit_text("c", th, 1, "e1", "edited"), "edit"),
        (react("c", th, 1, "👍", true), "react"),
        (Request::PinMessage(message_ref("c", th, 1)), "pin"),
    ] {
        let user = if what == "pin" { "alice" } else { "carol" };
        assert_eq!(env.err(user, request), ErrorCode::THREAD_ARCHIVED, "{what}");
    }
    // Reading, marking read and taking one's words back stay open.
    env.ok("dave", mark_read("c", th, 1));
    env.change("carol", Request::RecallMessage(message_ref("c", th, 1)));
    let mut unarchive = update(&thread);
    unarchive.archived = Some(false);
    env.ok("bob", Request::UpdateThread(unarchive.clone()));
    env.send("carol", "c", th, "k3", "back");
    // A day without a message archives it by itself (the default delay).
    let day = i64::try_from(Limits::default().thread_auto_archive_ms).unwrap();
    env.clock.advance(day - 1);
    env.send("carol", "c", th, "k4", "still alive");
    env.clock.advance(day);
    assert_eq!(
        env.err("carol", send("c", th, "k5", "asleep")),
        ErrorCode::THREAD_ARCHIVED
    );
    let listed = list(&env, &general, true, None, None).0;
    assert_eq!(listed, ["plans"], "listed among the archived");
    assert!(list(&env, &general, false, None, None).0.is_empty());
    // Unarchiving revives it from now.
    let Response::Thread(revived) = env.ok("bob", Request::UpdateThread(unarchive)).response else {
        panic!("thread expected")
    };
    assert!(!revived.archived && !revived.is_archived(env.clock.now()));
    assert_eq!(revived.last_activity_ms, env.clock.now());
    env.send("carol", "c", th, "k5", "awake");
    // A shorter delay (managers only) archives an idle thread sooner.
    let mut shorter = update(&thread);
    shorter.auto_archive_ms = Some(u64::try_from(HOUR).unwrap());
    assert_eq!(
        env.err("bob", Request::UpdateThread(shorter.clone())),
        ErrorCode::PERMISSION_DENIED
    );
    env.ok("alice", Request::UpdateThread(shorter));
    env.clock.advance(HOUR);
    assert_eq!(
        env.err("carol", send("c", th, "k6", "idle")),
        ErrorCode::THREAD_ARCHIVED
    );
}

#[test]
fn a_locked_thread_takes_posts_from_members_who_manage_threads() {
    let env = Env::new();
    let general = guild(&env);
    let thread = start(&env, "bob", &general, "rules", None);
    let th = thread.thread_id.as_str();
    env.send("bob", "c", th, "k1", "draft");
    let mut lock = update(&thread);
    lock.locked = Some(true);
    assert_eq!(
        env.err("bob", Request::UpdateThread(lock.clone())),
        ErrorCode::PERMISSION_DENIED,
        "the creator does not lock"
    );
    let handled = env.ok("alice", Request::UpdateThread(lock));
    assert_eq!(
        event_kinds(&handled),
        ["thread_updated"],
        "the digest is the same"
    );
    assert_eq!(
        env.err("bob", send("c", th, "k2", "more")),
        ErrorCode::THREAD_LOCKED
    );
    assert_eq!(
        env.err("bob", edit_text("c", th, 1, "e1", "changed")),
        ErrorCode::THREAD_LOCKED
    );
    // Reactions are not posts.
    env.change("carol", react("c", th, 1, "👀", true));
    // A moderator group with manage_threads posts; so does the owner.
    let mods = env.group("alice", "c", "mods", Permissions::MANAGE_THREADS);
    env.assign("alice", "c", "dave", mods.as_str());
    env.send("dave", "c", th, "k3", "moderated");
    env.send("alice", "c", th, "k4", "owner");
    // A locked thread's creator neither renames nor archives it.
    let mut rename = update(&thread);
    rename.name = Some("my rules".into());
    assert_eq!(
        env.err("bob", Request::UpdateThread(rename)),
        ErrorCode::PERMISSION_DENIED
    );
}

#[test]
fn renaming_is_the_creators_or_a_managers_and_changing_nothing_says_nothing() {
    let env = Env::new();
    let general = guild(&env);
    let thread = start(&env, "bob", &general, "plans", None);
    let mut rename = update(&thread);
    rename.name = Some("raid plans".into());
    assert_eq!(
        env.err("carol", Request::UpdateThread(rename.clone())),
        ErrorCode::PERMISSION_DENIED
    );
    let handled = env.ok("bob", Request::UpdateThread(rename.clone()));
    assert_eq!(event_kinds(&handled), ["thread_updated", "thread_digest"]);
    let digest = handled
        .deliveries
        .iter()
        .find_map(|d| match &d.event {
            Event::ThreadDigest { digest, .. } => Some(digest.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(digest.name, "raid plans");
    // The same again, or a field at its value: no change, no event, no right needed.
    let again = env.ok("carol", Request::UpdateThread(rename));
    assert!(again.deliveries.is_empty());
    let mut bad = update(&thread);
    bad.auto_archive_ms = Some(1);
    assert_eq!(
        env.err("alice", Request::UpdateThread(bad)),
        ErrorCode::INVALID_AUTO_ARCHIVE
    );
}

#[test]
fn deleting_a_thread_takes_its_messages_and_deleting_a_channel_its_threads() {
    let env = Env::new();
    let general = guild(&env);
    let m1 = env.send("bob", "c", &general, "k1", "topic").seq;
    let thread = start(&env, "bob", &general, "plans", Some(m1));
    let th = thread.thread_id.as_str();
    env.send("carol", "c", th, "k2", "reply");
    assert_eq!(
        env.err("bob", Request::DeleteThread(thread_ref(&thread))),
        ErrorCode::PERMISSION_DENIED,
        "deleting needs manage_threads, even one's own thread"
    );
    let handled = env.ok("alice", Request::DeleteThread(thread_ref(&thread)));
    let removed = events(&handled, |e| match e {
        Event::ThreadRemoved {
            thread_id,
            parent_channel_id,
            ..
        } => Some((thread_id.clone(), parent_channel_id.clone())),
        _ => None,
    });
    assert_eq!(removed.len(), 1);
    assert!(matches!(removed[0].0, Audience::Community(_)));
    assert_eq!(removed[0].1.1.as_str(), general);
    assert_eq!(
        env.err("bob", Request::GetThread(thread_ref(&thread))),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert_eq!(
        env.err("carol", send("c", th, "k3", "gone")),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert!(env.message("bob", "c", &general, m1).thread.is_none());
    // The message may start a thread again.
    let again = start(&env, "bob", &general, "again", Some(m1));
    // A channel's deletion takes its threads.
    let raids = env.channel("alice", "c", "raids", false);
    let inner = start(&env, "bob", &raids, "inner", None);
    env.send("carol", "c", inner.thread_id.as_str(), "k4", "inside");
    env.ok(
        "alice",
        Request::DeleteChannel(ChannelRef {
            community_id: "c".into(),
            channel_id: raids.as_str().into(),
        }),
    );
    assert_eq!(
        env.err("bob", Request::GetThread(thread_ref(&inner))),
        ErrorCode::THREAD_NOT_FOUND
    );
    assert_eq!(get(&env, "bob", &again).name, "again");
}

#[test]
fn recalling_the_parent_message_keeps_the_thread_and_its_digest() {
    let env = Env::new();
    let general = guild(&env);
    let m1 = env.send("bob", "c", &general, "k1", "topic").seq;
    let thread = start(&env, "bob", &general, "plans", Some(m1));
    env.send("carol", "c", thread.thread_id.as_str(), "k2", "reply");
    let recalled = env.change(
        "bob",
        Request::RecallMessage(message_ref("c", &general, m1)),
    );
    assert!(recalled.message.content.is_recalled());
    let digest = recalled.message.thread.expect("still there");
    assert_eq!((digest.message_count, digest.participant_count), (1, 1));
    assert_eq!(get(&env, "dave", &thread).message_count, 1);
}

#[test]
fn lists_come_newest_activity_first_in_pages() {
    let env = Env::new();
    let general = guild(&env);
    let names = ["a", "b", "c", "d", "e"];
    let threads: Vec<ThreadInfo> = names
        .iter()
        .map(|name| {
            env.clock.advance(10);
            start(&env, "carol", &general, name, None)
        })
        .collect();
    // "b" becomes the most active, "d" is archived.
    env.clock.advance(10);
    env.send("bob", "c", threads[1].thread_id.as_str(), "k1", "bump");
    let mut archive = update(&threads[3]);
    archive.archived = Some(true);
    env.ok("carol", Request::UpdateThread(archive));
    let (page, cursor) = list(&env, &general, false, None, Some(2));
    assert_eq!(page, ["b", "e"]);
    let (page, cursor) = list(&env, &general, false, cursor, Some(2));
    assert_eq!(page, ["c", "a"]);
    assert_eq!(cursor, None, "the last page");
    assert_eq!(list(&env, &general, true, None, None).0, ["d"]);
    let bad = Request::ListThreads(ListThreads {
        community_id: "c".into(),
        channel_id: general.as_str().into(),
        cursor: Some("nonsense".into()),
        ..Default::default()
    });
    assert_eq!(env.err("bob", bad), ErrorCode::INVALID_CURSOR);
    // Bob joined "b" by posting; carol created all five.
    let joined = |user: &str, cursor: Option<String>, limit| {
        let request = Request::ListJoinedThreads(ListJoinedThreads {
            community_id: "c".into(),
            cursor,
            limit,
        });
        match env.ok(user, request).response {
            Response::Threads(page) => (
                page.threads.into_iter().map(|t| t.name).collect::<Vec<_>>(),
                page.next_cursor,
            ),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(joined("bob", None, None).0, ["b"]);
    let (page, cursor) = joined("carol", None, Some(3));
    assert_eq!(page, ["b", "e", "d"]);
    assert_eq!(joined("carol", cursor, Some(3)).0, ["c", "a"]);
    assert!(joined("dave", None, None).0.is_empty());
}
