//! Handles one connection's frames in order (the connection's task reads them): `hello`,
//! then `login`, then requests, with heartbeats throughout.
//!
//! Bad input never ends the server and rarely the connection: every frame that cannot be
//! decoded is answered (as the request's response when its id could be read, else as an
//! `error` frame) and reading goes on. The connection ends on: a frame before `hello` that
//! is not `hello`, no `hello` before the handshake deadline, an unsupported version, a
//! frame the WebSocket layer cannot read (too large, not UTF-8), silence for twice the
//! heartbeat interval, token expiry, logout, server shutdown, or the client going away.

use std::sync::Arc;
use std::time::Duration;

use community_protocol::{
    ApiError, ClientFrame, ErrorCode, GoodbyeReason, PROTOCOL_VERSION, Request, Response, codec,
};
use tokio::time::Instant;
use tracing::Instrument;

use super::auth;
use super::frames;
use crate::hub::{Goodbye, Outbox, Session};
use crate::shared::Shared;
use crate::ws::{Message, ReadError};

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

/// One connection's protocol state, and the handling of what the client sends.
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

/// What handling a message asks of the connection.
pub(crate) enum Step {
    /// Go on reading.
    Continue,
    /// End with this goodbye.
    End(Goodbye),
}

impl Reader {
    /// Handles one message from the client.
    pub async fn on_message(&mut self, message: Message) -> Step {
        match message {
            Message::Text(text) => self.on_text(&text).await,
            Message::Binary(_) => {
                let frame = frames::error_code(
                    ErrorCode::BAD_FRAME,
                    "binary frames are not supported; send JSON text frames",
                );
                self.outbox.send(frame).await;
                Step::Continue
            }
            // Answered by the connection (pong) or ending it (close).
            Message::Ping(_) | Message::Pong | Message::Close(_) => Step::Continue,
        }
    }

    /// A frame the WebSocket layer could not read ends the connection. Told apart by the
    /// error's type: a frame over the hard limit (`frame_too_large`, then
    /// `goodbye{protocol_error, reconnect:true}` and close code 1009), a text frame that
    /// is not UTF-8 (goodbye with `reconnect:false`, close code 1007), anything else
    /// (goodbye with `reconnect:false`, plain close).
    pub async fn on_read_error(&mut self, error: ReadError) -> Step {
        match error {
            ReadError::TooLarge => {
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
            ReadError::InvalidUtf8 => Step::End(
                Goodbye::new(
                    GoodbyeReason::ProtocolError,
                    false,
                    "a text frame was not valid UTF-8; closing",
                )
                .with_close_code(CLOSE_INVALID_PAYLOAD, "invalid UTF-8"),
            ),
            ReadError::Protocol(_) => {
                let text = error.to_string();
                tracing::debug!(error = %text, "read failed");
                Step::End(Goodbye::new(GoodbyeReason::ProtocolError, false, text))
            }
        }
    }

    /// The earliest deadline now: `hello` (before it arrived), the token's expiry (logged
    /// in), and `idle` (silence).
    pub fn deadline(&self, idle: Instant) -> Instant {
        match &self.phase {
            Phase::AwaitHello => idle.min(self.hello_deadline),
            Phase::LoggedIn { token_deadline, .. } => idle.min(*token_deadline),
            Phase::Ready | Phase::LoggedOut => idle,
        }
    }

    /// The goodbye for a deadline that passed at `now`, if one did (the handshake's first,
    /// then the token's, then silence's: no frame since `idle - silence`).
    pub fn deadline_passed(
        &self,
        now: Instant,
        idle: Instant,
        silence: Duration,
    ) -> Option<Goodbye> {
        match &self.phase {
            Phase::AwaitHello if now >= self.hello_deadline => {
                tracing::debug!("no hello before the handshake deadline");
                return Some(Goodbye::new(
                    GoodbyeReason::ProtocolError,
                    true,
                    format!(
                        "no hello within {} ms of connecting",
                        self.shared.config.handshake_timeout.as_millis()
                    ),
                ));
            }
            Phase::LoggedIn { token_deadline, .. } if now >= *token_deadline => {
                return Some(Goodbye::new(
                    GoodbyeReason::TokenExpired,
                    false,
                    "the token expired; log in again with a new token",
                ));
            }
            _ => {}
        }
        (now >= idle).then(|| {
            Goodbye::new(
                GoodbyeReason::HeartbeatTimeout,
                true,
                format!("no frame for {} ms", silence.as_millis()),
            )
        })
    }

    /// Handles one text frame: decodes it and acts on it in the connection's phase.
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

    /// Handles one request: the transport's own (login, refresh, logout) or the domain's.
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
