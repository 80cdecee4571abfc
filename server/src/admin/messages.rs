//! Posting for the app's backend: as a user (that user's `send_message`, with their own
//! permissions) or as the system (a system-authored message), into a channel, thread or
//! (as a user) conversation; and the broadcast of a system message to every community's
//! default channel.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use community_protocol::{ChannelId, CommunityId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AdminState;
use super::error::AdminResult;
use super::ops::{invalid, parse_request, to_json};

/// Communities read per page while broadcasting.
const BROADCAST_PAGE: u32 = 100;

/// `POST /admin/v1/communities/{community_id}/channels/{channel_id}/messages`: with
/// `sender_id`, the rest of the body is that user's `send_message` parameters; without,
/// the body is `{"text": …}` and a system message is posted (communities only).
pub(crate) async fn post(
    State(state): State<AdminState>,
    Path(path): Path<HashMap<String, String>>,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let mut params: Map<String, Value> = serde_json::from_slice(&body)
        .map_err(|e| invalid(&format!("the body is not a JSON object: {e}")))?;
    let community_id = path.get("community_id").cloned().unwrap_or_default();
    let channel_id = path.get("channel_id").cloned().unwrap_or_default();
    match params.remove("sender_id") {
        Some(Value::String(sender)) => {
            crate::token::check_login_user_id(&sender)?;
            params.insert("community_id".into(), Value::String(community_id));
            params.insert("channel_id".into(), Value::String(channel_id));
            let request = parse_request("send_message", Value::Object(params))?;
            let response = state
                .shared
                .handle_as(UserId::from(sender), request)
                .await?;
            Ok(Json(to_json(&response)?))
        }
        Some(_) => Err(invalid("sender_id must be a user id")),
        None => {
            let text = match (params.remove("text"), params.is_empty()) {
                (Some(Value::String(text)), true) => text,
                _ => {
                    return Err(invalid(
                        "a system post is {\"text\": …}; add sender_id to post as a user",
                    ));
                }
            };
            let community_id = CommunityId::from(community_id);
            let channel_id = ChannelId::from(channel_id);
            let target = community_id.clone();
            let response = state
                .shared
                .run_in_community(&community_id, "post_system_message", move |domain| {
                    domain.admin_post_system(&target, Some(&channel_id), text)
                })
                .await?;
            Ok(Json(to_json(&response)?))
        }
    }
}

/// The body of a broadcast.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Broadcast {
    text: String,
}

/// A community the broadcast did not reach, and why.
#[derive(Debug, Serialize)]
pub(crate) struct BroadcastFailure {
    community_id: CommunityId,
    code: u16,
    name: &'static str,
    message: String,
}

/// The broadcast's answer.
#[derive(Debug, Serialize)]
pub(crate) struct Broadcasted {
    /// Communities seen.
    communities: u64,
    /// System messages posted.
    posted: u64,
    /// Communities not reached.
    failed: Vec<BroadcastFailure>,
}

/// `POST /admin/v1/broadcast`: a system message into every community's default channel,
/// one community at a time (each in its ordering lane), paging through the communities.
pub(crate) async fn broadcast(
    State(state): State<AdminState>,
    body: Result<Json<Broadcast>, JsonRejection>,
) -> AdminResult<Json<Broadcasted>> {
    let Json(body) = body?;
    let mut answer = Broadcasted {
        communities: 0,
        posted: 0,
        failed: Vec::new(),
    };
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.take();
        let page = state
            .shared
            .read(move |domain| domain.admin_communities(after.as_deref(), Some(BROADCAST_PAGE)))
            .await?;
        for info in page.items {
            answer.communities += 1;
            let community_id = info.community_id.clone();
            let text = body.text.clone();
            let posted = state
                .shared
                .run_in_community(
                    &info.community_id,
                    "broadcast_system_message",
                    move |domain| domain.admin_post_system(&community_id, None, text),
                )
                .await;
            match posted {
                Ok(_) => answer.posted += 1,
                Err(error) => answer.failed.push(BroadcastFailure {
                    community_id: info.community_id,
                    code: error.code.0,
                    name: error.code.name(),
                    message: error.message,
                }),
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(Json(answer))
}
