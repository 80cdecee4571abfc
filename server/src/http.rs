//! The HTTP surface: `GET /healthz`, the WebSocket endpoint `GET /ws` and the admin API
//! (`/admin/v1/…`, see `crate::admin`), on one port.
//!
//! The WebSocket upgrade is checked and answered here (`crate::ws::handshake`); the
//! upgraded TCP stream is then served by the server's own WebSocket (`crate::ws`), which
//! holds no buffer while a connection is idle.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::upgrade::OnUpgrade;

use crate::admin::{self, AdminKey};
use crate::connection;
use crate::shared::{RunState, Shared};
use crate::sockets::Accepted;
use crate::ws::handshake;

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
/// down answers 503 (it refuses writes until both are back). With `--nats`, counters
/// since the node started follow: publications the link dropped (outbox full) and the
/// per-channel reorder's held commits, gaps let through and late messages.
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
    if let Some(cluster) = &shared.cluster {
        let reorder = cluster.reorder().counts();
        lines.push(format!("nats_dropped: {}", cluster.dropped_publications()));
        lines.push(format!("reorder_held: {}", reorder.held));
        lines.push(format!("reorder_gaps: {}", reorder.gaps));
        lines.push(format!("reorder_late: {}", reorder.late));
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

/// `GET /ws`: checks the upgrade request, answers `101 Switching Protocols` and serves
/// the upgraded connection in a task of its own (which keeps `accepted` until it ends).
async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Extension(accepted): Extension<Accepted>,
    mut request: Request,
) -> Response {
    if shared.run_state() != RunState::Running {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let key = match handshake::check(request.method(), request.headers()) {
        Ok(key) => key,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
        return handshake::Refusal::NotUpgradable.into_response();
    };
    tokio::spawn(connection::serve(on_upgrade, shared, accepted));
    handshake::switching(&key)
}
