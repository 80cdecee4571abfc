//! Accepting TCP connections: the server's own accept loop instead of `axum::serve`, so
//! that no connection can hold a file descriptor for free.
//!
//! - **Connection cap.** At most `max_connections` TCP connections are open at once,
//!   upgraded or not. The slot is taken at accept and given back when the last holder
//!   drops it: the HTTP connection task, or the WebSocket connection it became. A
//!   connection beyond the cap gets an immediate `503 Service Unavailable` with
//!   `Connection: close` (written without waiting) and is closed; the accept loop never
//!   blocks on it.
//! - **Handshake deadline.** An accepted connection must finish its HTTP request within
//!   `handshake_timeout` of being accepted: hyper's header-read timeout closes a partial
//!   header (slowloris), and a deadline on the whole HTTP connection closes one that
//!   sends nothing, or keeps a plain HTTP connection alive past it. A WebSocket must then
//!   send `hello` before the same deadline ([`Accepted::deadline`]; the connection reader
//!   enforces it).
//! - Shutdown: the loop stops accepting as soon as the server drains or is killed; a
//!   draining HTTP connection finishes its request (hyper's graceful shutdown), a killed
//!   one is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

use crate::shared::{RunState, Shared};
use crate::sockets::Accepted;

/// What a connection beyond the cap is told before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
Content-Type: text/plain\r\nContent-Length: 21\r\nRetry-After: 1\r\n\r\ntoo many connections\n";

/// How long the loop pauses after an accept error that is not about one connection
/// (e.g. no file descriptor left), so that it does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts connections until the server stops running.
pub(crate) async fn serve(listener: TcpListener, router: Router, shared: Arc<Shared>) {
    let mut run = shared.run.subscribe();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = run.wait_for(|state| *state != RunState::Running) => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_per_connection(&error) => continue,
            Err(error) => {
                tracing::warn!(%error, "accept failed; pausing");
                tokio::select! {
                    _ = run.wait_for(|state| *state != RunState::Running) => return,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let max = shared.config.max_connections;
        let Some(slot) = shared.sockets.try_open(max) else {
            refuse(&tcp, peer, max);
            continue;
        };
        // Frames are batched and flushed explicitly: Nagle's algorithm would only delay
        // a response that follows a large event by a delayed-ACK round (40 ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let span = tracing::debug_span!("http", %peer);
        tokio::spawn(
            serve_connection(
                tcp,
                Accepted(Arc::new(slot)),
                router.clone(),
                Arc::clone(&shared),
            )
            .instrument(span),
        );
    }
}

/// Accept errors that concern one connection only (the next accept may succeed at once).
fn is_per_connection(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Answers a connection beyond the cap with a 503 and closes it, without waiting: what
/// the client already sent is read (so closing does not reset the answer away), the
/// answer fits in the socket's send buffer, and anything that would block is skipped.
fn refuse(tcp: &TcpStream, peer: SocketAddr, max: usize) {
    tracing::debug!(%peer, max, "connection refused: too many connections");
    let mut buffer = [0_u8; 1024];
    for _ in 0..16 {
        match tcp.try_read(&mut buffer) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
    let _ = tcp.try_write(REFUSAL);
}

/// Serves one HTTP/1.1 connection (requests, or the upgrade to the WebSocket) until it
/// ends, its handshake deadline passes or the server is killed.
async fn serve_connection(tcp: TcpStream, accepted: Accepted, router: Router, shared: Arc<Shared>) {
    let timeout = shared.config.handshake_timeout;
    let deadline = accepted.deadline(timeout);
    let mut run = shared.run.subscribe();
    drop(shared);
    let inner = TowerToHyperService::new(router);
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(accepted.clone());
        inner.call(request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeout);
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        let state = *run.borrow_and_update();
        match state {
            RunState::Killed => return,
            RunState::Draining if !draining => {
                // Finish the request in progress, then close (no keep-alive).
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
            _ => {}
        }
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "HTTP connection ended");
                }
                return;
            }
            _ = tokio::time::sleep_until(deadline) => {
                tracing::debug!("handshake deadline passed; closing");
                return;
            }
            changed = run.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}
