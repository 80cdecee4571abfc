//! Routes of the admin API that are not one WebSocket operation: every community of the
//! server (paged), creating a community for a given owner, replacing its owner, and the
//! batch import of members without invitations.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use community_protocol::{ApiError, CommunityId, ErrorCode, Response, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AdminState;
use super::error::{AdminError, AdminResult};
use super::ops::{invalid, parse_request, to_json};

/// The query of `GET /admin/v1/communities`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

/// `GET /admin/v1/communities`: every community, by id, with the WebSocket API's paging
/// rules (`page_size_too_large`, `invalid_cursor`).
pub(crate) async fn list(
    State(state): State<AdminState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AdminResult<Json<Value>> {
    let Query(query) = query?;
    let page = state
        .shared
        .read(move |domain| domain.admin_communities(query.cursor.as_deref(), query.limit))
        .await?;
    Ok(Json(to_json(&page)?))
}

/// `POST /admin/v1/communities`: `create_community` run as `owner_id` (who becomes the
/// owner, with their own limits: `too_many_joined`); the other fields are
/// `create_community`'s parameters.
pub(crate) async fn create(
    State(state): State<AdminState>,
    body: Bytes,
) -> AdminResult<Json<Value>> {
    let mut params: Map<String, Value> = serde_json::from_slice(&body)
        .map_err(|e| invalid(&format!("the body is not a JSON object: {e}")))?;
    let owner = match params.remove("owner_id") {
        Some(Value::String(owner)) => owner,
        _ => return Err(invalid("owner_id (a user id) is required")),
    };
    crate::token::check_login_user_id(&owner)?;
    let request = parse_request("create_community", Value::Object(params))?;
    let response = state.shared.handle_as(UserId::from(owner), request).await?;
    Ok(Json(to_json(&response)?))
}

/// The body of `PUT …/owner`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOwner {
    user_id: UserId,
}

/// `PUT /admin/v1/communities/{community_id}/owner`: the app admin acts on the owner by
/// running `transfer_ownership` as the current owner (the new owner must be a member;
/// the old one becomes an admin). If the owner changed meanwhile, `owner_only`.
pub(crate) async fn set_owner(
    State(state): State<AdminState>,
    Path(path): Path<HashMap<String, String>>,
    body: Result<Json<NewOwner>, JsonRejection>,
) -> AdminResult<Json<Value>> {
    let Json(body) = body?;
    let community_id = CommunityId::from(path.get("community_id").cloned().unwrap_or_default());
    let target = community_id.clone();
    let owner = state
        .shared
        .read(move |domain| domain.admin_community_info(&target))
        .await?
        .owner_id;
    let request =
        community_protocol::Request::TransferOwnership(community_protocol::request::MemberRef {
            community_id,
            user_id: body.user_id,
        });
    let response = state.shared.handle_as(owner, request).await?;
    Ok(Json(to_json(&response)?))
}

/// The body of the import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Import {
    user_ids: Vec<UserId>,
}

/// One user the import did not add, and why.
#[derive(Debug, Serialize)]
pub(crate) struct ImportFailure {
    user_id: UserId,
    code: u16,
    name: &'static str,
    message: String,
}

/// The import's answer.
#[derive(Debug, Serialize)]
pub(crate) struct Imported {
    /// Users added.
    added: Vec<UserId>,
    /// Users who were members already.
    already_members: Vec<UserId>,
    /// Users refused for another reason.
    failed: Vec<ImportFailure>,
    /// The community's member count afterwards.
    member_count: u64,
}

/// `POST /admin/v1/communities/{community_id}/members/import`: up to 1,000 users in one
/// transaction (`too_many_invitees` beyond), in the community's ordering lane.
pub(crate) async fn import(
    State(state): State<AdminState>,
    Path(path): Path<HashMap<String, String>>,
    body: Result<Json<Import>, JsonRejection>,
) -> AdminResult<Json<Imported>> {
    let Json(body) = body?;
    let community_id = CommunityId::from(path.get("community_id").cloned().unwrap_or_default());
    let target = community_id.clone();
    let response = state
        .shared
        .run_in_community(&community_id, "import_members", move |domain| {
            domain.admin_import_members(&target, body.user_ids)
        })
        .await?;
    let Response::Users(outcome) = response else {
        return Err(AdminError(ApiError::new(
            ErrorCode::INTERNAL,
            "the import answered unexpectedly",
        )));
    };
    let mut already_members = Vec::new();
    let mut failed = Vec::new();
    for failure in outcome.failed {
        if failure.error.code == ErrorCode::ALREADY_MEMBER {
            already_members.push(failure.user_id);
        } else {
            failed.push(ImportFailure {
                user_id: failure.user_id,
                code: failure.error.code.0,
                name: failure.error.code.name(),
                message: failure.error.message,
            });
        }
    }
    let counted = community_id.clone();
    let member_count = state
        .shared
        .read(move |domain| domain.admin_community_info(&counted))
        .await?
        .member_count;
    Ok(Json(Imported {
        added: outcome.succeeded,
        already_members,
        failed,
        member_count,
    }))
}
