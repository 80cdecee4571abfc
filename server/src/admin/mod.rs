//! The admin HTTP API (`/admin/v1/…`, JSON, on the port of `/ws`): what the app's
//! backend calls with the deployment's admin key to issue login tokens, act as the app
//! admin (an owner in every community), import members in bulk, post as a user or as the
//! system, and broadcast. Documented in `docs/ADMIN.md` and `server/admin-openapi.json`.
//!
//! One concern per module: [`key`] (the key file, rotation, constant-time check),
//! `auth` (the `Bearer` check), `audit` (one log line per call), `error` (codes to HTTP
//! statuses and the JSON error body), `run` (running requests outside of any session
//! with the WebSocket path's ordering and fan-out), `ops` (owner operations as routes),
//! `communities`, `messages` and `tokens` (the routes of their own).

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, patch, post, put};
use community_protocol::{ApiError, ErrorCode};

mod audit;
mod auth;
mod communities;
mod error;
mod key;
mod messages;
mod ops;
mod run;
mod tokens;

pub(crate) use key::AdminKey;
pub use key::{KEY_FILE, load_or_create_key, rotate_key};

use crate::shared::Shared;
use error::AdminError;
use ops::op;

/// Every route of the admin API, as `(method, path)`: what the router serves and what
/// `server/admin-openapi.json` documents (a test checks both).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/admin/v1/tokens"),
    ("POST", "/admin/v1/requests"),
    ("POST", "/admin/v1/broadcast"),
    ("GET", "/admin/v1/communities"),
    ("POST", "/admin/v1/communities"),
    ("GET", "/admin/v1/communities/{community_id}"),
    ("PATCH", "/admin/v1/communities/{community_id}"),
    ("DELETE", "/admin/v1/communities/{community_id}"),
    ("PUT", "/admin/v1/communities/{community_id}/owner"),
    ("GET", "/admin/v1/communities/{community_id}/members"),
    (
        "POST",
        "/admin/v1/communities/{community_id}/members/import",
    ),
    (
        "DELETE",
        "/admin/v1/communities/{community_id}/members/{user_id}",
    ),
    (
        "PUT",
        "/admin/v1/communities/{community_id}/members/{user_id}/role",
    ),
    (
        "PUT",
        "/admin/v1/communities/{community_id}/members/{user_id}/mute",
    ),
    ("POST", "/admin/v1/communities/{community_id}/bans"),
    ("POST", "/admin/v1/communities/{community_id}/channels"),
    (
        "PATCH",
        "/admin/v1/communities/{community_id}/channels/{channel_id}",
    ),
    (
        "DELETE",
        "/admin/v1/communities/{community_id}/channels/{channel_id}",
    ),
    (
        "GET",
        "/admin/v1/communities/{community_id}/channels/{channel_id}/messages",
    ),
    (
        "POST",
        "/admin/v1/communities/{community_id}/channels/{channel_id}/messages",
    ),
    ("POST", "/admin/v1/communities/{community_id}/groups"),
    (
        "PUT",
        "/admin/v1/communities/{community_id}/groups/{group_id}/members/{user_id}",
    ),
    (
        "DELETE",
        "/admin/v1/communities/{community_id}/groups/{group_id}/members/{user_id}",
    ),
];

/// What the admin routes share.
#[derive(Clone)]
pub(crate) struct AdminState {
    /// The server's shared state (domain, hub, token key).
    pub shared: Arc<Shared>,
    /// The admin key in force.
    pub key: Arc<AdminKey>,
}

/// The admin routes (to be merged at the root: they carry their `/admin/v1` prefix),
/// behind the key check and the audit trail.
pub(crate) fn router(shared: Arc<Shared>, key: Arc<AdminKey>) -> Router {
    let state = AdminState { shared, key };
    let c = "/admin/v1/communities/{community_id}";
    Router::new()
        .route("/admin/v1/tokens", post(tokens::issue))
        .route("/admin/v1/requests", post(ops::any_request))
        .route("/admin/v1/broadcast", post(messages::broadcast))
        .route(
            "/admin/v1/communities",
            get(communities::list).post(communities::create),
        )
        .route(
            c,
            get(op!("get_community"))
                .patch(op!("update_community"))
                .delete(op!("dismiss_community")),
        )
        .route(&format!("{c}/owner"), put(communities::set_owner))
        .route(&format!("{c}/members"), get(op!("list_members")))
        .route(&format!("{c}/members/import"), post(communities::import))
        .route(
            &format!("{c}/members/{{user_id}}"),
            axum::routing::delete(op!("kick_member")),
        )
        .route(
            &format!("{c}/members/{{user_id}}/role"),
            put(op!("set_member_role")),
        )
        .route(
            &format!("{c}/members/{{user_id}}/mute"),
            put(op!("mute_member")),
        )
        .route(&format!("{c}/bans"), post(op!("ban_member")))
        .route(&format!("{c}/channels"), post(op!("create_channel")))
        .route(
            &format!("{c}/channels/{{channel_id}}"),
            patch(op!("update_channel")).delete(op!("delete_channel")),
        )
        .route(
            &format!("{c}/channels/{{channel_id}}/messages"),
            get(op!("get_messages")).post(messages::post),
        )
        .route(&format!("{c}/groups"), post(op!("create_group")))
        .route(
            &format!("{c}/groups/{{group_id}}/members/{{user_id}}"),
            put(op!("assign_group")).delete(op!("unassign_group")),
        )
        .fallback(no_route)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        .layer(middleware::from_fn(audit::audit))
        .with_state(state)
}

/// Anything under `/admin/` that is no route (or not with this method).
async fn no_route() -> AdminError {
    AdminError(ApiError::new(
        ErrorCode::UNKNOWN_OP,
        "no such admin route (see server/admin-openapi.json)",
    ))
}
