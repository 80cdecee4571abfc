//! The start of a connection: `hello` / `welcome`, then `login` (with resume, and one
//! retry with a fresh token when the token expired), and what a `goodbye` means.

use std::time::Duration;

use community_protocol::frame::Outcome;
use community_protocol::request::Login;
use community_protocol::response::LoggedIn;
use community_protocol::{
    ClientFrame, ErrorCode, ErrorKind, GoodbyeReason, PROTOCOL_VERSION, Request, Response,
    ServerFrame, UserId,
};

use community_protocol::codec::{self, Incoming};

use super::{CLIENT_NAME, Ending, Read, Sink, Stream, Task, next_incoming, send, timeout_at};
use crate::clock::{deadline_in, millis};
use crate::error::{ConnectionError, SdkError};
use crate::model::DisconnectReason;

impl Task {
    /// `hello` / `welcome`; returns the heartbeat interval.
    pub(super) async fn handshake(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
    ) -> Result<Duration, Ending> {
        let hello = ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: CLIENT_NAME.to_string(),
            // Large answers (a sync of thousands of channels) shrink ~10× (§1).
            compression: vec![codec::COMPRESSION_DEFLATE.to_owned()],
        };
        if let Err(error) = send(sink, &hello).await {
            self.report_first(Err(ConnectionError::Transport(error).into()));
            return Err(Ending::Retry { connected: false });
        }
        let deadline = deadline_in(self.config.connect_timeout);
        loop {
            let incoming = match timeout_at(deadline, next_incoming(stream)).await {
                Some(Ok(incoming)) => incoming,
                Some(Err(error)) => {
                    self.report_first(Err(ConnectionError::Transport(error).into()));
                    return Err(Ending::Retry { connected: false });
                }
                None => {
                    self.report_first(Err(ConnectionError::Transport("no welcome".into()).into()));
                    return Err(Ending::Retry { connected: false });
                }
            };
            match incoming {
                Read::Frame(Incoming::Frame(frame)) => match frame {
                    ServerFrame::Welcome {
                        heartbeat_interval_ms,
                        ..
                    } => return Ok(Duration::from_millis(heartbeat_interval_ms.max(100))),
                    ServerFrame::Error { error } => {
                        tracing::warn!(%error, "server error during the handshake");
                        if error.code == ErrorCode::UNSUPPORTED_VERSION {
                            return Err(Ending::Terminal(DisconnectReason::ProtocolError(
                                error.message,
                            )));
                        }
                    }
                    ServerFrame::Goodbye {
                        reason,
                        reconnect,
                        message,
                    } => return Err(self.goodbye(Some(reason), reconnect, &message).await),
                    _ => {}
                },
                Read::Frame(Incoming::UnknownGoodbye { reconnect, message }) => {
                    return Err(self.goodbye(None, reconnect, &message).await);
                }
                Read::Frame(_) | Read::Unreadable(_) => {}
            }
        }
    }

    /// `login` (with resume when a session is known); retries once with a fresh token
    /// when the token expired.
    pub(super) async fn login(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
    ) -> Result<LoggedIn, Ending> {
        let mut token_retries = 0;
        loop {
            let credentials = self.credentials();
            let id = self.next_id();
            let frame = ClientFrame::Request {
                id,
                request: Request::Login(Login {
                    user_id: credentials.user_id.clone(),
                    token: credentials.token.clone(),
                    device_id: self.config.device_id.clone(),
                    resume: self.resume.clone(),
                }),
            };
            if let Err(error) = send(sink, &frame).await {
                self.report_first(Err(ConnectionError::Transport(error).into()));
                return Err(Ending::Retry { connected: false });
            }
            let deadline = deadline_in(self.config.request_timeout);
            let outcome = loop {
                match timeout_at(deadline, next_incoming(stream)).await {
                    Some(Ok(Read::Frame(Incoming::Frame(frame)))) => match frame {
                        ServerFrame::Response {
                            id: answered,
                            outcome,
                        } if answered == id => break outcome,
                        ServerFrame::Goodbye {
                            reason,
                            reconnect,
                            message,
                        } => return Err(self.goodbye(Some(reason), reconnect, &message).await),
                        _ => {}
                    },
                    Some(Ok(Read::Frame(Incoming::UnknownGoodbye { reconnect, message }))) => {
                        return Err(self.goodbye(None, reconnect, &message).await);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        self.report_first(Err(ConnectionError::Transport(error).into()));
                        return Err(Ending::Retry { connected: false });
                    }
                    None => {
                        let waited = millis(self.config.request_timeout);
                        self.report_first(Err(ConnectionError::Timeout(waited).into()));
                        return Err(Ending::Retry { connected: false });
                    }
                }
            };
            match outcome {
                Outcome::Result(Response::LoggedIn(logged_in)) => return Ok(logged_in),
                Outcome::Result(other) => {
                    let error = SdkError::unexpected("login", &other);
                    self.report_first(Err(error));
                    return Err(Ending::Retry { connected: false });
                }
                Outcome::Error(error)
                    if error.code == ErrorCode::TOKEN_EXPIRED && token_retries == 0 =>
                {
                    token_retries += 1;
                    match self.fetch_token(&credentials.user_id).await {
                        Some(token) => self.set_token(token),
                        None => return Err(Ending::Terminal(DisconnectReason::TokenExpired)),
                    }
                }
                Outcome::Error(error) if error.code == ErrorCode::TOKEN_EXPIRED => {
                    return Err(Ending::Terminal(DisconnectReason::TokenExpired));
                }
                Outcome::Error(error) if error.kind() == ErrorKind::Server => {
                    tracing::info!(%error, "login refused for now");
                    self.report_first(Err(SdkError::Api(error)));
                    return Err(Ending::Retry { connected: false });
                }
                Outcome::Error(error) => {
                    tracing::warn!(%error, "login refused");
                    return Err(Ending::Terminal(DisconnectReason::AuthFailed(error)));
                }
            }
        }
    }

    async fn fetch_token(&self, user_id: &UserId) -> Option<String> {
        let provider = self.config.token_provider.clone()?;
        let token = provider.fetch_token(user_id.as_str()).await;
        tracing::info!(got = token.is_some(), "asked the token provider");
        token
    }

    /// What a goodbye means (protocol §12).
    pub(super) async fn goodbye(
        &mut self,
        reason: Option<GoodbyeReason>,
        reconnect: bool,
        message: &str,
    ) -> Ending {
        tracing::info!(?reason, reconnect, message, "goodbye");
        match reason {
            Some(GoodbyeReason::TokenExpired) => {
                let user = self.credentials().user_id;
                match self.fetch_token(&user).await {
                    Some(token) => {
                        self.set_token(token);
                        Ending::Retry { connected: true }
                    }
                    None => Ending::Terminal(DisconnectReason::TokenExpired),
                }
            }
            Some(GoodbyeReason::SessionReplaced) => {
                Ending::Terminal(DisconnectReason::SessionReplaced)
            }
            Some(GoodbyeReason::Kicked) => Ending::Terminal(DisconnectReason::Kicked),
            Some(GoodbyeReason::LoggedOut) => Ending::Terminal(DisconnectReason::LoggedOut),
            Some(GoodbyeReason::ProtocolError) if !reconnect => {
                Ending::Terminal(DisconnectReason::ProtocolError(message.to_string()))
            }
            Some(GoodbyeReason::ServerShutdown) if !reconnect => {
                Ending::Terminal(DisconnectReason::ServerShutdown)
            }
            _ if reconnect => Ending::Retry { connected: true },
            _ => Ending::Terminal(DisconnectReason::ServerShutdown),
        }
    }
}
