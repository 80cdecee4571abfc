//! Sample threads, digests and every thread request, response and event, for the
//! round-trip tests (split from `samples` to keep each file small): archived, locked and
//! free-standing threads, a digest with and without a last message.

use community_protocol::request as rq;
use community_protocol::response::{JoinedThread, ThreadsPage};
use community_protocol::*;

use super::samples::{C, T0, head, s};

/// A thread started from message 121 of `ch_general`, every optional field set.
pub fn thread() -> ThreadInfo {
    ThreadInfo {
        community_id: s(C).into(),
        thread_id: s("th_raid_plan").into(),
        parent_channel_id: s("ch_general").into(),
        parent_seq: Some(121),
        name: s("Raid plan — 作戦"),
        created_by: s("bob").into(),
        created_at_ms: T0,
        archived: true,
        locked: true,
        auto_archive_ms: 3_600_000,
        last_activity_ms: T0 + 60_000,
        message_count: 42,
        member_count: 5,
    }
}

/// A free-standing thread with its flags at their defaults.
pub fn free_thread() -> ThreadInfo {
    ThreadInfo {
        thread_id: s("th_loot").into(),
        parent_seq: None,
        name: s("Loot"),
        archived: false,
        locked: false,
        auto_archive_ms: 86_400_000,
        ..thread()
    }
}

/// The digest of [`thread`] with its last message.
pub fn digest() -> ThreadDigest {
    ThreadDigest {
        thread_id: s("th_raid_plan").into(),
        name: s("Raid plan — 作戦"),
        message_count: 42,
        last: Some(DigestLast {
            seq: 42,
            sender_id: s("carol").into(),
            text: s("see you at the gate 🦉"),
            at_ms: T0 + 60_000,
        }),
        participant_count: 5,
        last_activity_ms: T0 + 60_000,
        archived: true,
    }
}

fn tref() -> rq::ThreadRef {
    rq::ThreadRef {
        community_id: s(C).into(),
        thread_id: s("th_raid_plan").into(),
    }
}

/// One request of every thread op.
pub fn requests() -> Vec<Request> {
    vec![
        Request::CreateThread(rq::CreateThread {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            name: s("Raid plan — 作戦"),
            parent_seq: Some(121),
            auto_archive_ms: Some(3_600_000),
        }),
        Request::UpdateThread(rq::UpdateThread {
            community_id: s(C).into(),
            thread_id: s("th_raid_plan").into(),
            name: Some(s("Raid plan (Friday)")),
            archived: Some(false),
            locked: Some(true),
            auto_archive_ms: Some(604_800_000),
        }),
        Request::DeleteThread(tref()),
        Request::GetThread(tref()),
        Request::JoinThread(tref()),
        Request::LeaveThread(tref()),
        Request::ListThreads(rq::ListThreads {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            archived: true,
            cursor: Some(s("dDE6MTc2NzIyOTUwMDAwMDp0aF9sb290")),
            limit: Some(20),
        }),
        Request::ListJoinedThreads(rq::ListJoinedThreads {
            community_id: s(C).into(),
            cursor: None,
            limit: Some(100),
        }),
    ]
}

/// One response of every thread kind, in declaration order.
pub fn responses() -> Vec<Response> {
    vec![
        Response::Thread(thread()),
        Response::Threads(ThreadsPage {
            threads: vec![thread(), free_thread()],
            next_cursor: Some(s("dDE6MTc2NzIyOTUwMDAwMDp0aF9sb290")),
        }),
        Response::ThreadJoined(JoinedThread {
            thread: free_thread(),
            head: ChannelHead {
                channel_id: s("th_loot").into(),
                ..head()
            },
        }),
    ]
}

/// One event of every thread kind, in declaration order.
pub fn events() -> Vec<Event> {
    vec![
        Event::ThreadUpdated { thread: thread() },
        Event::ThreadRemoved {
            community_id: s(C).into(),
            thread_id: s("th_raid_plan").into(),
            parent_channel_id: s("ch_general").into(),
        },
        Event::ThreadDigest {
            community_id: s(C).into(),
            channel_id: s("ch_general").into(),
            parent_seq: Some(121),
            digest: digest(),
        },
        Event::ThreadJoined {
            thread: thread(),
            head: ChannelHead {
                channel_id: s("th_raid_plan").into(),
                ..head()
            },
        },
        Event::ThreadLeft {
            community_id: s(C).into(),
            thread_id: s("th_loot").into(),
        },
    ]
}
