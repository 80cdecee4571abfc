//! Starting, renaming, growing and leaving conversations.
//!
//! - `create_conversation`: one other user without `group` is a direct conversation — the
//!   existing one between the two when there is one (even under a `nobody` policy:
//!   existing conversations go on; never across a block); more users, or `group`, start a
//!   new group of at most `max_conversation_members` participants, the caller included.
//!   The users must be distinct, known, other than the caller, and each must take
//!   conversations from the caller (`policy`).
//! - `update_conversation` renames a group (≤ 100 bytes, empty clears it);
//!   `add_conversation_members` adds known users the caller may reach to a group (users
//!   already in it are passed over). A direct conversation is neither renamed nor grown
//!   (`invalid_argument`).
//! - `leave_conversation`: a group only (a direct conversation cannot be left); the leaver
//!   forgets its read state; the last participant to leave deletes it with its messages.
//!
//! Every change is told to every participant (`conversation_updated`, each with their
//! head; the caller's other sessions included); a leave is told to the leaver's other
//! sessions (`conversation_removed`) and to those who stay.

use std::collections::BTreeSet;

use community_protocol::limits::check_user_id;
use community_protocol::request::{
    ConversationMembers, ConversationRef, CreateConversation, UpdateConversation,
};
use community_protocol::{
    ApiError, ChannelId, ConversationInfo, ConversationKind, ErrorCode, Event, Response, UserId,
};

use super::lists::{announced, entry, stored};
use super::policy::{require_known, require_may_reach};
use super::rules::{blocked, conversation_not_found};
use crate::domain::context::Ctx;
use crate::ids;
use crate::routing::Audience;
use crate::store::NewConversation;

/// Longest group name, in bytes.
const NAME_BYTES: usize = 100;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::INVALID_ARGUMENT, message)
}

/// Fails with `CHANNEL_NAME_TOO_LONG` for a group name over 100 bytes.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.len() > NAME_BYTES {
        return Err(ApiError::new(
            ErrorCode::CHANNEL_NAME_TOO_LONG,
            format!("a conversation's name is at most {NAME_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Fails with `TOO_MANY_PARTICIPANTS` when `count` participants are too many.
fn check_size(cx: &Ctx<'_>, count: usize) -> Result<(), ApiError> {
    let max = cx.limits.max_conversation_members;
    if count > max {
        return Err(ApiError::new(
            ErrorCode::TOO_MANY_PARTICIPANTS,
            format!("a conversation has at most {max} participants, you included"),
        ));
    }
    Ok(())
}

/// The users a request names: at least one, well formed, each once, not the caller.
fn named_users(cx: &Ctx<'_>, user_ids: &[UserId]) -> Result<Vec<UserId>, ApiError> {
    if user_ids.is_empty() {
        return Err(invalid("name at least one other user"));
    }
    let mut seen = BTreeSet::new();
    for user_id in user_ids {
        check_user_id(user_id.as_str())?;
        if user_id == cx.caller {
            return Err(invalid("you are in it already: name the other users"));
        }
        if !seen.insert(user_id) {
            return Err(invalid(format!("{user_id:?} is named twice")));
        }
    }
    Ok(user_ids.to_vec())
}

/// A conversation the caller is in, or `CONVERSATION_NOT_FOUND`.
fn joined(cx: &Ctx<'_>, conversation_id: &ChannelId) -> Result<ConversationInfo, ApiError> {
    cx.tx
        .conversation(conversation_id)?
        .filter(|c| c.participants.contains(cx.caller))
        .ok_or_else(|| conversation_not_found(conversation_id))
}

/// Fails with `INVALID_ARGUMENT` unless the conversation is a group.
fn require_group(conversation: &ConversationInfo, what: &str) -> Result<(), ApiError> {
    if conversation.kind == ConversationKind::Group {
        return Ok(());
    }
    Err(invalid(format!("a direct conversation cannot be {what}")))
}

/// `create_conversation`.
pub(crate) fn create(cx: &mut Ctx<'_>, p: CreateConversation) -> Result<Response, ApiError> {
    let others = named_users(cx, &p.user_ids)?;
    let direct = !p.group && others.len() == 1;
    if direct && !p.name.is_empty() {
        return Err(invalid(
            "a direct conversation has no name (start a group to name it)",
        ));
    }
    check_name(&p.name)?;
    check_size(cx, others.len() + 1)?;
    for user_id in &others {
        require_known(cx, user_id)?;
    }
    if let ([other], true) = (others.as_slice(), direct)
        && let Some(existing) = cx.tx.direct_conversation(cx.caller, other)?
    {
        // Existing conversations go on whatever the policy, never across a block.
        if cx.tx.blocks_between(cx.caller, other)? {
            return Err(blocked(other));
        }
        let conversation = stored(cx, &existing)?;
        return Ok(Response::Conversation(entry(cx, cx.caller, conversation)?));
    }
    for user_id in &others {
        require_may_reach(cx, user_id)?;
    }
    let conversation_id: ChannelId = ids::generate(ids::CONVERSATION_PREFIX);
    let mut participants = others;
    participants.push(cx.caller.clone());
    participants.sort();
    cx.tx.insert_conversation(&NewConversation {
        conversation_id: &conversation_id,
        kind: if direct {
            ConversationKind::Direct
        } else {
            ConversationKind::Group
        },
        name: &p.name,
        created_by: cx.caller,
        created_at_ms: cx.now,
        participants: &participants,
    })?;
    tracing::debug!(
        conversation_id = conversation_id.as_str(),
        "conversation started"
    );
    let conversation = stored(cx, &conversation_id)?;
    announced(cx, &conversation)
}

/// `update_conversation`: a group's new name (the same name answers without events).
pub(crate) fn update(cx: &mut Ctx<'_>, p: UpdateConversation) -> Result<Response, ApiError> {
    let conversation = joined(cx, &p.conversation_id)?;
    require_group(&conversation, "renamed")?;
    check_name(&p.name)?;
    if conversation.name == p.name {
        return Ok(Response::Conversation(entry(cx, cx.caller, conversation)?));
    }
    cx.tx.rename_conversation(&p.conversation_id, &p.name)?;
    let conversation = stored(cx, &p.conversation_id)?;
    announced(cx, &conversation)
}

/// `add_conversation_members`: users already in the group are passed over; with nobody
/// new it answers without events.
pub(crate) fn add_members(cx: &mut Ctx<'_>, p: ConversationMembers) -> Result<Response, ApiError> {
    let conversation = joined(cx, &p.conversation_id)?;
    require_group(&conversation, "grown")?;
    if p.user_ids.is_empty() {
        return Err(invalid("name at least one user to add"));
    }
    let mut seen = BTreeSet::new();
    for user_id in &p.user_ids {
        check_user_id(user_id.as_str())?;
        if !seen.insert(user_id) {
            return Err(invalid(format!("{user_id:?} is named twice")));
        }
    }
    let joining: Vec<&UserId> = p
        .user_ids
        .iter()
        .filter(|user| !conversation.participants.contains(user))
        .collect();
    if joining.is_empty() {
        return Ok(Response::Conversation(entry(cx, cx.caller, conversation)?));
    }
    check_size(cx, conversation.participants.len() + joining.len())?;
    for user_id in &joining {
        require_known(cx, user_id)?;
        require_may_reach(cx, user_id)?;
    }
    for user_id in joining {
        cx.tx.add_participant(&p.conversation_id, user_id, cx.now)?;
    }
    let conversation = stored(cx, &p.conversation_id)?;
    announced(cx, &conversation)
}

/// `leave_conversation`: a group only.
pub(crate) fn leave(cx: &mut Ctx<'_>, p: ConversationRef) -> Result<Response, ApiError> {
    let conversation = joined(cx, &p.conversation_id)?;
    require_group(&conversation, "left (it can only be hidden by the client)")?;
    cx.tx.remove_participant(&p.conversation_id, cx.caller)?;
    cx.emit(
        Audience::OtherSessionsOfCaller,
        Event::ConversationRemoved {
            conversation_id: p.conversation_id.clone(),
        },
    );
    let conversation = stored(cx, &p.conversation_id)?;
    if conversation.participants.is_empty() {
        cx.tx.delete_conversation(&p.conversation_id)?;
        tracing::debug!(
            conversation_id = p.conversation_id.as_str(),
            "conversation deleted: its last participant left"
        );
        return Ok(Response::Ok);
    }
    super::lists::announce(cx, &conversation)?;
    Ok(Response::Ok)
}
