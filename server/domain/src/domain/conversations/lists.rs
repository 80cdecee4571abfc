//! Reading conversations: the caller's entries (a conversation with their head), their
//! list (`list_conversations`, newest activity first, paged with an opaque keyset cursor:
//! last activity, then id), their heads in `@me` (`get_heads`, the way a client refetches
//! a community's heads) and every entry for `sync`; and telling participants of a change
//! (`conversation_updated`, each with their own head).
//!
//! A conversation whose activity moves while a client pages may show up again or be
//! passed over (it moved to the front), as threads do.

use community_protocol::request::PageQuery;
use community_protocol::response::{ConversationEntry, ConversationsPage};
use community_protocol::{
    ApiError, ChannelHead, ChannelId, CommunityId, ConversationInfo, Event, Response, UserId,
};

use super::rules::conversation_not_found;
use crate::cursor::{self, CursorKind, Position};
use crate::domain::context::Ctx;
use crate::domain::view;
use crate::routing::Audience;
use crate::store::ChannelRecord;

/// The stream of a conversation (whoever asks).
fn stream(cx: &Ctx<'_>, conversation_id: &ChannelId) -> Result<ChannelRecord, ApiError> {
    cx.tx
        .channel(&CommunityId::direct(), conversation_id)?
        .ok_or_else(|| conversation_not_found(conversation_id))
}

/// A conversation as stored now.
pub(crate) fn stored(
    cx: &Ctx<'_>,
    conversation_id: &ChannelId,
) -> Result<ConversationInfo, ApiError> {
    cx.tx
        .conversation(conversation_id)?
        .ok_or_else(|| conversation_not_found(conversation_id))
}

/// `user_id`'s head of a conversation.
pub(crate) fn head(
    cx: &Ctx<'_>,
    user_id: &UserId,
    conversation_id: &ChannelId,
) -> Result<ChannelHead, ApiError> {
    view::head(cx, user_id, &stream(cx, conversation_id)?)
}

/// A conversation with `user_id`'s head of it.
pub(crate) fn entry(
    cx: &Ctx<'_>,
    user_id: &UserId,
    conversation: ConversationInfo,
) -> Result<ConversationEntry, ApiError> {
    let head = head(cx, user_id, &conversation.conversation_id)?;
    Ok(ConversationEntry { conversation, head })
}

/// Tells every participant of `conversation` (each with their head) that it was started
/// or changed: to every session of theirs, the caller's other sessions (the answer tells
/// the requesting one). Returns the caller's entry when the caller is a participant.
pub(crate) fn announce(
    cx: &mut Ctx<'_>,
    conversation: &ConversationInfo,
) -> Result<Option<ConversationEntry>, ApiError> {
    let mut mine = None;
    for user in &conversation.participants {
        let entry = entry(cx, user, conversation.clone())?;
        let event = Event::ConversationUpdated {
            conversation: entry.conversation.clone(),
            head: entry.head.clone(),
        };
        if user == cx.caller {
            cx.emit(Audience::OtherSessionsOfCaller, event);
            mine = Some(entry);
        } else {
            cx.emit_to(user, event);
        }
    }
    Ok(mine)
}

/// [`announce`], answered with the caller's entry.
pub(crate) fn announced(
    cx: &mut Ctx<'_>,
    conversation: &ConversationInfo,
) -> Result<Response, ApiError> {
    let entry = match announce(cx, conversation)? {
        Some(entry) => entry,
        None => entry(cx, cx.caller, conversation.clone())?,
    };
    Ok(Response::Conversation(entry))
}

fn position(conversation: &ConversationInfo) -> Position {
    Position {
        at_ms: conversation.last_activity_ms,
        id: conversation.conversation_id.to_string(),
    }
}

/// `list_conversations`: the caller's conversations, newest activity first.
pub(crate) fn list(cx: &mut Ctx<'_>, p: PageQuery) -> Result<Response, ApiError> {
    let limit = cx.limits.page_size(p.limit)?;
    let after = cursor::decode_optional(CursorKind::Conversations, p.cursor.as_deref())?;
    let rows = cx.tx.conversations_of(
        cx.caller,
        after.as_ref().map(|a| (a.at_ms, a.id.as_str())),
        Some(limit.saturating_add(1)),
    )?;
    let (rows, next_cursor) = cursor::cut_page(rows, limit, CursorKind::Conversations, position);
    let conversations = rows
        .into_iter()
        .map(|conversation| entry(cx, cx.caller, conversation))
        .collect::<Result<_, _>>()?;
    Ok(Response::Conversations(ConversationsPage {
        conversations,
        next_cursor,
    }))
}

/// Every conversation of the caller with their head, newest activity first (`sync`).
pub(crate) fn all_entries(cx: &Ctx<'_>) -> Result<Vec<ConversationEntry>, ApiError> {
    cx.tx
        .conversations_of(cx.caller, None, None)?
        .into_iter()
        .map(|conversation| entry(cx, cx.caller, conversation))
        .collect()
}

/// The caller's heads of every conversation of theirs (`get_heads` of `@me`).
pub(crate) fn heads(cx: &Ctx<'_>) -> Result<Vec<ChannelHead>, ApiError> {
    cx.tx
        .conversations_of(cx.caller, None, None)?
        .iter()
        .map(|conversation| head(cx, cx.caller, &conversation.conversation_id))
        .collect()
}
