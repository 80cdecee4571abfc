//! The audit trail of the admin API: one `info` line per call under the target
//! `community_server::audit`, with the method, the path, the outcome (`ok`, or the
//! error's code name), the HTTP status and the duration. The key is never logged.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use community_protocol::ErrorCode;

/// Logs one audit line for the call (outermost layer: it sees refused keys too).
pub(crate) async fn audit(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let outcome = response
        .extensions()
        .get::<ErrorCode>()
        .map_or("ok", |code| code.name());
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "community_server::audit",
        %method,
        path = %path,
        outcome = %outcome,
        status,
        duration_ms,
        "admin call"
    );
    response
}
