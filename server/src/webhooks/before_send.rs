//! The before-send content check (PROTOCOL.md §23.2, docs/WEBHOOKS.md): when the
//! deployment configures `before_send_url`, every `send_message` (channels, threads and
//! conversations) is shown to the app's backend before the domain stores it. The backend
//! allows it, rejects it (`message_rejected` with its reason), discards it silently (the
//! sender gets `message_sent` with `seq` 0; nothing is stored or delivered) or replaces
//! its content (the domain then checks the new content like any other).
//!
//! The check runs in the request's own task *before* the request takes its community's
//! ordering lane, so a slow backend delays only the messages it is asked about, never
//! other channels or communities; `before_send_timeout` bounds the wait, after which
//! `before_send_default` decides (as it does for a connection error, a non-2xx status or
//! an answer that does not parse).
//!
//! A resend of a message already stored (same sender and idempotency key, seen by this
//! server since it started) is not asked about again: the domain answers it with the
//! stored message whatever the resend carries ([`StoredKeys`]).

use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use community_protocol::request::SendMessage;
use community_protocol::{
    ApiError, ErrorCode, Mentions, Message, MessageContent, Request, Response, UserId,
};
use serde::{Deserialize, Serialize};

use super::{BeforeSendDefault, Hooks};

/// The longest rejection reason passed on to the sender (longer ones are cut).
pub const MAX_REASON_BYTES: usize = 500;

/// How many stored messages' keys are remembered to skip the check of their resends.
pub const REMEMBERED_KEYS: usize = 65_536;

/// What the check decided about a request.
// Made once per message and consumed at once: boxing either side would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Verdict {
    /// Carry the request out (as it came, or with its content replaced).
    Proceed(Request),
    /// Answer the sender with this, without running the request.
    Answer(Result<Response, ApiError>),
}

/// What the backend is asked (`type: "before_send"`).
#[derive(Debug, Serialize)]
struct Ask<'a> {
    r#type: &'static str,
    community_id: &'a community_protocol::CommunityId,
    channel_id: &'a community_protocol::ChannelId,
    sender_id: &'a UserId,
    idempotency_key: &'a str,
    content: &'a MessageContent,
    mentions: &'a Mentions,
    reply_to: Option<community_protocol::Seq>,
    priority: community_protocol::Priority,
    custom_data: &'a str,
    forward_of: Option<&'a community_protocol::MessageRef>,
    at_ms: i64,
}

/// What the backend answers.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Answer {
    Allow,
    Reject {
        #[serde(default)]
        reason: String,
    },
    Discard,
    Replace {
        content: MessageContent,
        #[serde(default)]
        mentions: Option<Mentions>,
    },
}

/// Asks the backend about `request` when it is a `send_message` and a check is configured;
/// every other request proceeds untouched.
pub async fn check(hooks: &Hooks, sender: &UserId, request: Request) -> Verdict {
    let (Some(url), Request::SendMessage(message)) = (&hooks.config.before_send_url, &request)
    else {
        return Verdict::Proceed(request);
    };
    if hooks.stored.contains(sender, &message.idempotency_key) {
        return Verdict::Proceed(request);
    }
    let at_ms = now_ms();
    let body = match serde_json::to_vec(&Ask {
        r#type: "before_send",
        community_id: &message.community_id,
        channel_id: &message.channel_id,
        sender_id: sender,
        idempotency_key: &message.idempotency_key,
        content: &message.content,
        mentions: &message.mentions,
        reply_to: message.reply_to,
        priority: message.priority,
        custom_data: &message.custom_data,
        forward_of: message.forward_of.as_ref(),
        at_ms,
    }) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "before-send request not encoded");
            return fallback(hooks, request, "the content check could not be asked");
        }
    };
    let config = &hooks.config;
    let reply = hooks
        .client
        .post_json(url, None, body, config.before_send_timeout)
        .await;
    let answer = match reply {
        Ok(reply) if reply.is_success() => serde_json::from_slice::<Answer>(&reply.body)
            .map_err(|error| format!("unreadable answer: {error}")),
        Ok(reply) => Err(format!("answered {}", reply.status)),
        Err(error) => Err(error.to_string()),
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(failure) => {
            tracing::warn!(%url, failure, "before-send check failed; applying the default");
            return fallback(hooks, request, "the content check did not answer");
        }
    };
    let Request::SendMessage(mut message) = request else {
        return Verdict::Proceed(request);
    };
    match answer {
        Answer::Allow => Verdict::Proceed(Request::SendMessage(message)),
        Answer::Reject { reason } => Verdict::Answer(Err(rejected(reason))),
        Answer::Discard => {
            Verdict::Answer(Ok(Response::MessageSent(discarded(sender, message, at_ms))))
        }
        Answer::Replace { content, mentions } => {
            message.content = content;
            if let Some(mentions) = mentions {
                message.mentions = mentions;
            }
            // A forward stores its original's content: the replacement must win.
            message.forward_of = None;
            Verdict::Proceed(Request::SendMessage(message))
        }
    }
}

/// Notes a message the domain answered `message_sent` for (stored now or before), so
/// that its resends skip the check.
pub fn note_sent(hooks: &Hooks, response: &Response) {
    if hooks.config.before_send_url.is_none() {
        return;
    }
    if let Response::MessageSent(message) = response
        && message.seq != 0
    {
        hooks
            .stored
            .insert(&message.sender_id, &message.idempotency_key);
    }
}

fn fallback(hooks: &Hooks, request: Request, why: &str) -> Verdict {
    match hooks.config.before_send_default {
        BeforeSendDefault::Allow => Verdict::Proceed(request),
        BeforeSendDefault::Reject => Verdict::Answer(Err(rejected(why.to_owned()))),
    }
}

fn rejected(reason: String) -> ApiError {
    let mut reason = if reason.trim().is_empty() {
        "the message was rejected by the content check".to_owned()
    } else {
        reason
    };
    if reason.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    ApiError::new(ErrorCode::MESSAGE_REJECTED, reason)
}

/// The answer to a discarded message: the message as the sender sent it, with `seq` 0.
fn discarded(sender: &UserId, message: SendMessage, at_ms: i64) -> Message {
    Message {
        community_id: message.community_id,
        channel_id: message.channel_id,
        seq: 0,
        sender_id: sender.clone(),
        idempotency_key: message.idempotency_key,
        content: message.content,
        mentions: message.mentions,
        reply_to: message.reply_to,
        priority: message.priority,
        created_at_ms: at_ms,
        custom_data: message.custom_data,
        edited_at_ms: None,
        edit_count: 0,
        reactions: Vec::new(),
        pinned: None,
        reply_preview: None,
        forwarded_from: None,
        thread: None,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The (sender, idempotency key) pairs of the last [`REMEMBERED_KEYS`] messages stored,
/// as keyed 64-bit hashes (a false match needs a collision under a per-process random key).
#[derive(Debug, Default)]
pub struct StoredKeys {
    hasher: RandomState,
    seen: Mutex<(HashSet<u64>, VecDeque<u64>)>,
}

impl StoredKeys {
    fn hash(&self, sender: &UserId, key: &str) -> u64 {
        self.hasher.hash_one((sender.as_str(), key))
    }

    /// Whether this sender's message with this key was stored.
    pub fn contains(&self, sender: &UserId, key: &str) -> bool {
        let hash = self.hash(sender, key);
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.0.contains(&hash)
    }

    /// Remembers a stored message (the oldest remembered is forgotten beyond the bound).
    pub fn insert(&self, sender: &UserId, key: &str) {
        let hash = self.hash(sender, key);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *seen;
        if set.insert(hash) {
            order.push_back(hash);
            if order.len() > REMEMBERED_KEYS
                && let Some(old) = order.pop_front()
            {
                set.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse() {
        let parse = |text: &str| serde_json::from_str::<Answer>(text);
        assert!(matches!(parse(r#"{"action":"allow"}"#), Ok(Answer::Allow)));
        assert!(matches!(
            parse(r#"{"action":"reject","reason":"spam"}"#),
            Ok(Answer::Reject { reason }) if reason == "spam"
        ));
        assert!(matches!(
            parse(r#"{"action":"discard"}"#),
            Ok(Answer::Discard)
        ));
        assert!(matches!(
            parse(r#"{"action":"replace","content":{"type":"text","text":"***"}}"#),
            Ok(Answer::Replace { mentions: None, .. })
        ));
        assert!(parse(r#"{"action":"maybe"}"#).is_err());
        assert!(parse(r#"{"action":"replace"}"#).is_err());
    }

    #[test]
    fn reasons_are_bounded_and_never_empty() {
        assert_eq!(rejected(String::new()).code, ErrorCode::MESSAGE_REJECTED);
        assert!(!rejected(" ".into()).message.trim().is_empty());
        assert!(rejected("é".repeat(400)).message.len() <= MAX_REASON_BYTES);
    }

    #[test]
    fn stored_keys_are_remembered_per_sender() {
        let keys = StoredKeys::default();
        keys.insert(&"ann".into(), "k1");
        assert!(keys.contains(&"ann".into(), "k1"));
        assert!(!keys.contains(&"bob".into(), "k1"));
        assert!(!keys.contains(&"ann".into(), "k2"));
    }
}
