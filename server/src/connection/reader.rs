//! Reads one connection's frames and handles them in order: `hello`, then `login`, then
//! requests, with heartbeats throughout.
//!
//! Bad input never ends the server and rarely the connection: every frame that cannot be
//! decoded is answered (as the request's response when its id could be read, else as an
//! `error` frame) and reading goes on. The connection ends on: a frame before `hello` that
//! is not `hello`, no `hello` before the handshake deadline, an unsupported version, a
//! frame the WebSocket layer cannot read (too large, not UTF-8), silence for twice the
//! heartbeat interval, token expiry, logout, server shutdown, or the client going away.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use community_protocol::{
    ApiError, ClientFrame, ErrorCode, GoodbyeReason, PROTOCOL_VERSION, Request, Response, codec,
};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use super::auth;
use super::frames;
use crate::hub::{Goodbye, Outbox, Session};
use crate::shared::{RunState, Shared};

/// The longest silence ever waited for (a bound on configured heartbeat intervals).
const MAX_SILENCE: Duration = Duration::from_secs(7 * 24 * 3600);

/// WebSocket close code for a message too big to process (RFC 6455 §7.4.1).
pub(crate) const CLOSE_TOO_BIG: u16 = 1009;
/// WebSocket close code for data inconsistent with its type, e.g. a text frame that is not
/// UTF-8 (RFC 6455 §7.4.1).
pub(crate) const CLOSE_INVALID_PAYLOAD: u16 = 1007;

/// Where a connection is in its protocol.
pub(crate) enum Phase {
    /// Waiting for `hello`.
    AwaitHello,
    /// `hello` done; waiting for `login`.
    Ready,
    /// Logged in.
    LoggedIn {
        /// The session.
        session: Arc<Session>,
        /// When the token expires (unless refreshed).
        token_deadline: Instant,
    },
    /// Logged out: the session is forgotten.
    LoggedOut,
}

/// How the reader stopped.
pub(crate) enum ReaderEnd {
    /// The server ends the connection with this goodbye.
    Goodbye(Goodbye),
    /// The client closed or the socket failed.
    ClientGone,
    /// The server was killed.
    Killed,
}

/// One connection's reading side and protocol state.
pub(crate) struct Reader {
    /// The server.
    pub shared: Arc<Shared>,
    /// Where frames go.
    pub outbox: Arc<Outbox>,
    /// Protocol state.
    pub phase: Phase,
    /// `hello` must arrive before this (the handshake deadline, from accept).
    pub hello_deadline: Instant,
}

enum Step {
    Continue,
    End(Goodbye),
}

impl Reader {
    /// Reads and handles frames until the connection must end.
    pub async fn run(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        mut run: watch::Receiver<RunState>,
    ) -> ReaderEnd {
        // Capped so that a huge configured interval cannot overflow the deadline below.
        let silence = self
            .shared
            .config
            .heartbeat_interval
            .saturating_mul(2)
            .min(MAX_SILENCE);
        let mut idle_deadline = Instant::now() + silence;
        loop {
            let token_deadline = match &self.phase {
                Phase::LoggedIn { token_deadline, .. } => Some(*token_deadline),
                _ => None,
            };
            let hello_deadline =
                matches!(self.phase, Phase::AwaitHello).then_some(self.hello_deadline);
            let message = tokio::select! {
                biased;
                state = run.wait_for(|state| *state != RunState::Running) => {
                    return match state.map(|s| *s) {
                        Ok(RunState::Draining) => ReaderEnd::Goodbye(Goodbye::new(
                            GoodbyeReason::ServerShutdown,
                            true,
                            "the server is shutting down; reconnect and resume",
                        )),
                        _ => ReaderEnd::Killed,
                    };
                }
                _ = sleep_until_some(hello_deadline) => {
                    tracing::debug!("no hello before the handshake deadline");
                    return ReaderEnd::Goodbye(Goodbye::new(
                        GoodbyeReason::ProtocolError,
                        true,
                        format!(
                            "no hello within {} ms of connecting",
                            self.shared.config.handshake_timeout.as_millis()
                        ),
                    ));
                }
                _ = sleep_until_some(token_deadline) => {
                    return ReaderEnd::Goodbye(Goodbye::new(
                        GoodbyeReason::TokenExpired,
                        false,
                        "the token expired; log in again with a new token",
                    ));
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    return ReaderEnd::Goodbye(Goodbye::new(
                        GoodbyeReason::HeartbeatTimeout,
                        true,
                        format!("no frame for {} ms", silence.as_millis()),
                    ));
                }
                message = stream.next() => message,
            };
            idle_deadline = Instant::now() + silence;
            // Frame handling is boxed: its future (login, domain calls) is large, and an
            // idle connection should not carry it inline (see docs/BENCHMARKS.md).
            let step = match message {
                None => return ReaderEnd::ClientGone,
                Some(Err(error)) => Box::pin(self.on_read_error(error)).await,
                Some(Ok(Message::Text(text))) => Box::pin(self.on_text(text.as_str())).await,
                Some(Ok(Message::Binary(_))) => {
                    let frame = frames::error_code(
                        ErrorCode::BAD_FRAME,
                        "binary frames are not supported; send JSON text frames",
                    );
                    self.outbox.send(frame).await;
                    Step::Continue
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Continue,
                Some(Ok(Message::Close(_))) => return ReaderEnd::ClientGone,
            };
            if let Step::End(goodbye) = step {
                return ReaderEnd::Goodbye(goodbye);
            }
        }
    }

    /// A frame the WebSocket layer could not read ends the connection. Told apart by the
    /// error's type: a frame over the hard limit (`frame_too_large`, then
    /// `goodbye{protocol_error, reconnect:true}` and close code 1009), a text frame that
    /// is not UTF-8 (goodbye with `reconnect:false`, close code 1007), anything else
    /// (goodbye with `reconnect:false`, plain close).
    async fn on_read_error(&mut self, error: axum::Error) -> Step {
        match read_failure(error) {
            ReadFailure::TooLarge => {
                let limit = self.shared.config.ws_hard_limit_bytes();
                let message = format!("frame exceeds {limit} bytes and cannot be read; closing");
                self.outbox
                    .send(frames::error_code(ErrorCode::FRAME_TOO_LARGE, &message))
                    .await;
                Step::End(
                    Goodbye::new(GoodbyeReason::ProtocolError, true, message)
                        .with_close_code(CLOSE_TOO_BIG, "frame too large"),
                )
            }
            ReadFailure::InvalidUtf8 => Step::End(
                Goodbye::new(
                    GoodbyeReason::ProtocolError,
                    false,
                    "a text frame was not valid UTF-8; closing",
                )
                .with_close_code(CLOSE_INVALID_PAYLOAD, "invalid UTF-8"),
            ),
            ReadFailure::Other(text) => {
                tracing::debug!(error = %text, "read failed");
                Step::End(Goodbye::new(GoodbyeReason::ProtocolError, false, text))
            }
        }
    }

    async fn on_text(&mut self, text: &str) -> Step {
        let frame = match codec::decode_client(text, self.shared.config.max_frame_bytes) {
            Ok(frame) => frame,
            Err(bad) => {
                let frame = match bad.request_id {
                    Some(id) => frames::response(id, Err(bad.error)),
                    None => frames::error(bad.error),
                };
                self.outbox.send(frame).await;
                return Step::Continue;
            }
        };
        match (&self.phase, frame) {
            (
                Phase::AwaitHello,
                ClientFrame::Hello {
                    protocol_version,
                    client,
                    compression,
                },
            ) => {
                if protocol_version != PROTOCOL_VERSION {
                    let message = format!(
                        "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                    );
                    self.outbox
                        .send(frames::error_code(ErrorCode::UNSUPPORTED_VERSION, &message))
                        .await;
                    return Step::End(Goodbye::new(GoodbyeReason::ProtocolError, false, message));
                }
                tracing::debug!(connection = self.outbox.id, %client, "hello");
                let config = &self.shared.config;
                let interval =
                    u64::try_from(config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX);
                // Compression only when offered and not switched off (§1); the welcome
                // itself is small and goes as text.
                let deflate = config.compress_min_bytes > 0
                    && compression.iter().any(|c| c == codec::COMPRESSION_DEFLATE);
                self.outbox
                    .send(frames::welcome(
                        interval,
                        config.max_frame_bytes,
                        deflate.then(|| codec::COMPRESSION_DEFLATE.to_owned()),
                    ))
                    .await;
                if deflate {
                    self.outbox.set_compression(config.compress_min_bytes);
                }
                self.phase = Phase::Ready;
                Step::Continue
            }
            (Phase::AwaitHello, other) => {
                let message = "the first frame must be hello";
                let error = ApiError::new(ErrorCode::HELLO_REQUIRED, message);
                let frame = match other {
                    ClientFrame::Request { id, .. } => frames::response(id, Err(error)),
                    _ => frames::error(error),
                };
                self.outbox.send(frame).await;
                Step::End(Goodbye::new(GoodbyeReason::ProtocolError, false, message))
            }
            (_, ClientFrame::Hello { .. }) => {
                let frame = frames::error_code(
                    ErrorCode::BAD_FRAME,
                    "hello was already received on this connection",
                );
                self.outbox.send(frame).await;
                Step::Continue
            }
            (phase, ClientFrame::Heartbeat { .. }) => {
                let seq = match phase {
                    Phase::LoggedIn { session, .. } => session.last_seq(),
                    _ => 0,
                };
                self.outbox.send(frames::heartbeat_ack(seq)).await;
                Step::Continue
            }
            (_, ClientFrame::Request { id, request }) => self.on_request(id, request).await,
        }
    }

    async fn on_request(&mut self, id: u64, request: Request) -> Step {
        let (session, request) = match (&mut self.phase, request) {
            (Phase::Ready, Request::Login(params)) => {
                match auth::login(&self.shared, &self.outbox, params).await {
                    Ok(outcome) => {
                        // The phase first: if the connection drops while the response is
                        // queued, the normal release path lets the session linger.
                        self.phase = Phase::LoggedIn {
                            session: Arc::clone(&outcome.session),
                            token_deadline: outcome.token_deadline,
                        };
                        // The response before the outbox pulls events: replayed events
                        // follow `logged_in`.
                        self.outbox
                            .send(frames::response(id, Ok(outcome.response)))
                            .await;
                        self.outbox.attach(outcome.session);
                    }
                    Err(error) => self.outbox.send(frames::response(id, Err(error))).await,
                }
                return Step::Continue;
            }
            (Phase::LoggedIn { .. }, Request::Login(_)) => {
                let error = ApiError::new(
                    ErrorCode::ALREADY_LOGGED_IN,
                    "this connection is logged in already",
                );
                self.outbox.send(frames::response(id, Err(error))).await;
                return Step::Continue;
            }
            (
                Phase::LoggedIn {
                    session,
                    token_deadline,
                },
                Request::RefreshToken(params),
            ) => {
                let outcome =
                    auth::refresh(&self.shared, session, params).map(|(response, deadline)| {
                        *token_deadline = deadline;
                        response
                    });
                self.outbox.send(frames::response(id, outcome)).await;
                return Step::Continue;
            }
            (Phase::LoggedIn { session, .. }, Request::Logout(_)) => {
                tracing::info!(user = %session.user_id, session = %session.id, "logged out");
                self.shared.hub.forget(session);
                self.phase = Phase::LoggedOut;
                self.outbox
                    .send(frames::response(id, Ok(Response::Ok)))
                    .await;
                return Step::End(Goodbye::new(GoodbyeReason::LoggedOut, false, "logged out"));
            }
            (Phase::LoggedIn { session, .. }, request) => (Arc::clone(session), request),
            _ => {
                let error = ApiError::new(ErrorCode::NOT_LOGGED_IN, "log in first");
                self.outbox.send(frames::response(id, Err(error))).await;
                return Step::Continue;
            }
        };
        let op = request.op();
        let span = tracing::debug_span!("request", id, op, user = %session.user_id);
        let outcome = self
            .shared
            .handle(&session, request)
            .instrument(span.clone())
            .await;
        if let Err(error) = &outcome {
            tracing::debug!(parent: &span, %error, "request refused");
        }
        self.outbox.send(frames::response(id, outcome)).await;
        Step::Continue
    }
}

/// Why the WebSocket layer could not read a frame.
#[derive(Debug, PartialEq, Eq)]
enum ReadFailure {
    /// Over `ws_hard_limit_bytes` (tungstenite's capacity error).
    TooLarge,
    /// A text frame whose payload is not UTF-8.
    InvalidUtf8,
    /// Anything else (its description).
    Other(String),
}

/// Classifies a read error by the WebSocket error type axum wraps, never by its text.
fn read_failure(error: axum::Error) -> ReadFailure {
    match error.into_inner().downcast::<tungstenite::Error>() {
        Ok(inner) => match *inner {
            tungstenite::Error::Capacity(_) => ReadFailure::TooLarge,
            tungstenite::Error::Utf8(_) => ReadFailure::InvalidUtf8,
            other => ReadFailure::Other(other.to_string()),
        },
        Err(other) => ReadFailure::Other(other.to_string()),
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_are_told_apart_by_type() {
        let too_long =
            tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
                size: 10,
                max_size: 5,
            });
        assert_eq!(
            read_failure(axum::Error::new(too_long)),
            ReadFailure::TooLarge
        );
        let utf8 = tungstenite::Error::Utf8("bad".into());
        assert_eq!(
            read_failure(axum::Error::new(utf8)),
            ReadFailure::InvalidUtf8
        );
        // A message that merely mentions the words is not taken for an oversize frame.
        let io = std::io::Error::other("message too long");
        assert!(matches!(
            read_failure(axum::Error::new(tungstenite::Error::Io(io))),
            ReadFailure::Other(_)
        ));
    }
}
