//! Who is in a thread, and who gets its messages.
//!
//! A member *joins* a thread to get its messages live and to count its unread messages
//! and mentions (a head like a channel's): explicitly (`join_thread`), by creating it, by
//! posting in it, or by being mentioned in it — directly or through a permission group
//! they hold (`@everyone` joins nobody: it would make every reader of the channel a
//! member). Only members who can see the thread's channel join. Every join is told to all
//! the joiner's sessions (`thread_joined` with their head); a join caused by a message
//! comes before the message, with the head from before it, so the message counts once.
//! Joining by posting starts reading at the end (one's own message never counts); joining
//! by a mention starts just before the mentioning message (it is unread, a mention).
//!
//! `leave_thread` is told to the leaver's other sessions (`thread_left`); losing sight of
//! the channel leaves its threads (`visibility`).

use std::collections::BTreeSet;

use community_protocol::request::ThreadRef;
use community_protocol::response::JoinedThread;
use community_protocol::{
    ApiError, Event, Mentions, Permissions, Response, Seq, ThreadInfo, UserId,
};

use super::rules::thread_not_found;
use crate::domain::context::{Ctx, Membership};
use crate::domain::view;
use crate::routing::Audience;
use crate::store::{ChannelRecord, ThreadLink};

impl Ctx<'_> {
    /// Who receives the messages (and their changes) of a thread: its members and the
    /// caller (who may act on a message without having joined).
    pub fn thread_audience(&self, link: &ThreadLink) -> Result<Audience, ApiError> {
        let mut users = self.tx.thread_member_ids(&link.thread.info.thread_id)?;
        if let Err(at) = users.binary_search(self.caller) {
            users.insert(at, self.caller.clone());
        }
        Ok(Audience::Users(users))
    }
}

/// The link of a thread's stream; the record must be one.
fn link_of(record: &ChannelRecord) -> Result<&ThreadLink, ApiError> {
    record
        .thread
        .as_deref()
        .ok_or_else(|| thread_not_found(&record.info.channel_id))
}

/// Adds `users` to a thread, reading from `read_seq`, and tells each of them
/// (`thread_joined` to all their sessions, with their head).
fn admit(
    cx: &mut Ctx<'_>,
    record: &ChannelRecord,
    users: &[UserId],
    read_seq: Seq,
) -> Result<(), ApiError> {
    if users.is_empty() {
        return Ok(());
    }
    let link = link_of(record)?;
    let thread_id = &link.thread.info.thread_id;
    let mut joined = Vec::with_capacity(users.len());
    for user in users {
        if cx.tx.join_thread(thread_id, user, cx.now, read_seq)? {
            joined.push(user);
        }
    }
    if joined.is_empty() {
        return Ok(());
    }
    let info = current_info(cx, link)?;
    for user in joined {
        let head = view::head(cx, user, record)?;
        cx.emit_to(
            user,
            Event::ThreadJoined {
                thread: info.clone(),
                head,
            },
        );
    }
    Ok(())
}

/// The thread as it is now (member count included).
fn current_info(cx: &Ctx<'_>, link: &ThreadLink) -> Result<ThreadInfo, ApiError> {
    let info = &link.thread.info;
    Ok(cx
        .tx
        .thread(&info.community_id, &info.thread_id)?
        .ok_or_else(|| thread_not_found(&info.thread_id))?
        .info)
}

/// Before a message is stored in a thread (nothing for a channel): its sender and the
/// users it mentions directly or through a group join, if they see the channel and are
/// not members yet.
pub(crate) fn join_on_post(
    cx: &mut Ctx<'_>,
    membership: &Membership,
    record: &ChannelRecord,
    mentions: &Mentions,
) -> Result<(), ApiError> {
    let Some(link) = record.thread.as_deref() else {
        return Ok(());
    };
    let thread_id = &link.thread.info.thread_id;
    let community_id = &link.thread.info.community_id;
    let mut mentioned: BTreeSet<UserId> = mentions.users.iter().cloned().collect();
    for group_id in &mentions.groups {
        mentioned.extend(cx.tx.group_holders(community_id, group_id)?);
    }
    mentioned.remove(cx.caller);
    let mut joining = Vec::new();
    if !cx.tx.is_thread_member(thread_id, cx.caller)? {
        joining.push(cx.caller.clone());
    }
    if !mentioned.is_empty() {
        let categories = cx.tx.categories(community_id)?;
        for user in mentioned {
            if cx.tx.is_thread_member(thread_id, &user)? {
                continue;
            }
            let Some(member) = cx.tx.member(community_id, &user)? else {
                continue;
            };
            if cx.sees(&membership.groups, &member, &link.parent, &categories)? {
                joining.push(user);
            }
        }
    }
    admit(cx, record, &joining, record.last_seq)
}

/// The creator of a new thread joins it.
pub(crate) fn join_creator(cx: &mut Ctx<'_>, record: &ChannelRecord) -> Result<(), ApiError> {
    let creator = cx.caller.clone();
    admit(cx, record, &[creator], record.last_seq)
}

/// A thread the caller may read (`get_thread`, `join_thread`, `leave_thread`: sight of its
/// channel), with the caller's membership.
pub(crate) fn readable(
    cx: &Ctx<'_>,
    p: &ThreadRef,
    op: &str,
) -> Result<(Membership, ChannelRecord), ApiError> {
    let membership = cx.membership(&p.community_id)?;
    let record = cx.thread_stream(&p.community_id, &p.thread_id)?;
    cx.require_op(&membership, op, Some(&record), Permissions::NONE)?;
    Ok((membership, record))
}

/// `join_thread` (sight of its channel): the caller reads from the thread's end; joining
/// again changes nothing and answers the same way.
pub(crate) fn join(cx: &mut Ctx<'_>, p: ThreadRef) -> Result<Response, ApiError> {
    let (_, record) = readable(cx, &p, "join_thread")?;
    let caller = cx.caller.clone();
    admit(cx, &record, std::slice::from_ref(&caller), record.last_seq)?;
    let link = link_of(&record)?;
    Ok(Response::ThreadJoined(JoinedThread {
        thread: current_info(cx, link)?,
        head: view::head(cx, &caller, &record)?,
    }))
}

/// `leave_thread`: the caller's read state of it is forgotten; their other sessions are
/// told (`thread_left`). Leaving a thread one is not in changes nothing.
pub(crate) fn leave(cx: &mut Ctx<'_>, p: ThreadRef) -> Result<Response, ApiError> {
    let (_, record) = readable(cx, &p, "leave_thread")?;
    if cx.tx.leave_thread(&p.thread_id, cx.caller)? {
        cx.emit(
            Audience::OtherSessionsOfCaller,
            Event::ThreadLeft {
                community_id: p.community_id,
                thread_id: record.info.channel_id,
            },
        );
    }
    Ok(Response::Ok)
}
