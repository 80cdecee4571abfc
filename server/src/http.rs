//! The HTTP surface: `GET /healthz`, the WebSocket endpoint `GET /ws` and the admin API
//! (`/admin/v1/…`, see `crate::admin`), on one port.
//!
//! WebSocket buffers are configured small (see `ServerConfig::ws_read_buffer_bytes` and
//! `ws_write_buffer_bytes`) so that an idle connection costs a few KiB instead of
//! tungstenite's default 2 × 128 KiB.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::admin::{self, AdminKey};
use crate::connection;
use crate::shared::{RunState, Shared};
use crate::sockets::Accepted;

/// The server's routes.
pub(crate) fn router(shared: Arc<Shared>, admin_key: Arc<AdminKey>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(upgrade))
        .with_state(Arc::clone(&shared))
        .merge(admin::router(shared, admin_key))
}

/// `ok` (200) while serving; with `--nats`, a second line tells the link's state, and a
/// node whose link is down answers 503 (it refuses writes until the link is back).
async fn healthz(State(shared): State<Arc<Shared>>) -> (StatusCode, &'static str) {
    match (
        shared.run_state(),
        shared.cluster.as_ref().map(|c| c.is_up()),
    ) {
        (RunState::Running, None) => (StatusCode::OK, "ok\n"),
        (RunState::Running, Some(true)) => (StatusCode::OK, "ok\nnats: up\n"),
        (RunState::Running, Some(false)) => (StatusCode::SERVICE_UNAVAILABLE, "nats: down\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
    }
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Extension(accepted): Extension<Accepted>,
    ws: WebSocketUpgrade,
) -> Response {
    if shared.run_state() != RunState::Running {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let config = &shared.config;
    let hard_limit = config.ws_hard_limit_bytes();
    ws.read_buffer_size(config.ws_read_buffer_bytes)
        .write_buffer_size(config.ws_write_buffer_bytes)
        .max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        .on_failed_upgrade(|error| tracing::debug!(%error, "WebSocket upgrade failed"))
        .on_upgrade(move |socket| connection::serve(socket, shared, accepted))
}
