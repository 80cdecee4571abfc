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

/// `ok` (200) while serving; with `--nats`, a line tells the link's state, and with
/// `--database`, one tells whether PostgreSQL answers. A node whose link or database is
/// down answers 503 (it refuses writes until both are back).
async fn healthz(State(shared): State<Arc<Shared>>) -> (StatusCode, String) {
    if shared.run_state() != RunState::Running {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    }
    let mut healthy = true;
    let mut lines = Vec::new();
    if let Some(cluster) = &shared.cluster {
        let up = cluster.is_up();
        healthy &= up;
        lines.push(format!("nats: {}", if up { "up" } else { "down" }));
    }
    if shared.config.database.is_some() {
        let checked = Arc::clone(&shared);
        let up = tokio::task::spawn_blocking(move || checked.domain.check_storage())
            .await
            .is_ok_and(|answer| answer.is_ok());
        healthy &= up;
        lines.push(format!("database: {}", if up { "up" } else { "down" }));
    }
    let mut body = if healthy {
        "ok\n".to_owned()
    } else {
        String::new()
    };
    for line in lines {
        body.push_str(&line);
        body.push('\n');
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
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
