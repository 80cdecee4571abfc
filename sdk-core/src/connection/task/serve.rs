//! The logged-in loop: requests, responses, events, heartbeats, token refresh, and the
//! back-pressure that stops reading while the sync task is behind.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use community_protocol::codec::Incoming;
use community_protocol::frame::Outcome;
use community_protocol::request::{Empty, RefreshToken, Resume};
use community_protocol::response::LoggedIn;
use community_protocol::{ClientFrame, Event, Request, Response, ServerFrame};
use rand::Rng;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep_until};

use super::{CLOSE_TIMEOUT, Ending, Read, Sink, Stream, Task, next_incoming, send};
use crate::clock::{FAR, deadline_in, millis, now_ms};
use crate::connection::{Command, Inbound};
use crate::error::{ConnectionError, SdkError};
use crate::model::{ConnectionState, DisconnectReason};

/// Where the answer to one request goes.
type Reply = oneshot::Sender<Result<Response, SdkError>>;

/// Per-connection bookkeeping of the serve loop.
pub(super) struct Live {
    /// Requests sent and not answered yet, by id.
    pending: HashMap<u64, Reply>,
    refreshing: HashMap<u64, String>,
    logout: Option<(u64, oneshot::Sender<Result<(), SdkError>>)>,
    heartbeat_every: Duration,
    next_heartbeat: Instant,
    awaiting_ack: bool,
    refresh_at: Option<Instant>,
    /// Server clock minus local clock, in ms.
    clock_offset_ms: i64,
}

impl Task {
    /// Serves a logged-in connection until it ends.
    pub(super) async fn serve(
        &mut self,
        mut sink: Sink,
        mut stream: Stream,
        heartbeat_every: Duration,
        logged_in: LoggedIn,
    ) -> Ending {
        let resumed = logged_in.resumed;
        let last_seq = match (&self.resume, resumed) {
            (Some(resume), true) => resume.last_event_seq,
            _ => logged_in.event_seq,
        };
        self.resume = Some(Resume {
            session_id: logged_in.session_id.clone(),
            last_event_seq: last_seq,
        });
        let mut live = Live {
            pending: HashMap::new(),
            refreshing: HashMap::new(),
            logout: None,
            heartbeat_every,
            next_heartbeat: deadline_in(
                heartbeat_every.mul_f64(rand::rng().random_range(0.0..1.0)),
            ),
            awaiting_ack: false,
            refresh_at: None,
            clock_offset_ms: logged_in.server_time_ms.saturating_sub(now_ms()),
        };
        self.schedule_refresh(&mut live, logged_in.token_expires_at_ms);
        tracing::info!(resumed, session = %logged_in.session_id, "logged in");
        self.inbound
            .push(Inbound::LoggedIn(Box::new(logged_in.clone())));
        self.set_state(ConnectionState::Connected);
        self.report_first(Ok(logged_in));

        let ending = self.serve_loop(&mut sink, &mut stream, &mut live).await;
        for (_, reply) in live.pending.drain() {
            let _ = reply.send(Err(ConnectionError::Lost.into()));
        }
        if let Some((_, reply)) = live.logout.take() {
            let _ = reply.send(Ok(()));
        }
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, futures_util::SinkExt::close(&mut sink)).await;
        ending
    }

    async fn serve_loop(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        live: &mut Live,
    ) -> Ending {
        let far = deadline_in(FAR);
        loop {
            let refresh_at = live.refresh_at.unwrap_or(far);
            // While the sync task is behind, nothing more is read: the socket's buffers
            // and then the server's per-session queue absorb the stream.
            let reading = !self.inbound.is_blocked();
            tokio::select! {
                _ = self.stop.changed() => return Ending::Stop,
                read = next_incoming(stream), if reading => {
                    let read = match read {
                        Some(Ok(read)) => read,
                        Some(Err(error)) => {
                            tracing::info!(%error, "connection broke");
                            return Ending::Retry { connected: true };
                        }
                        None => {
                            tracing::info!("connection closed by the server");
                            return Ending::Retry { connected: true };
                        }
                    };
                    if let Some(ending) = self.on_read(read, live).await {
                        return ending;
                    }
                }
                _ = self.inbound.flush_one(), if !reading => {}
                command = self.commands.recv() => {
                    let Some(command) = command else { return Ending::Stop };
                    if let Some(ending) = self.on_command(command, sink, live).await {
                        return ending;
                    }
                }
                token = self.tokens_rx.recv() => {
                    if let Some(Some(token)) = token {
                        let id = self.next_id();
                        live.refreshing.insert(id, token.clone());
                        let request = Request::RefreshToken(RefreshToken { token });
                        if send(sink, &ClientFrame::Request { id, request }).await.is_err() {
                            return Ending::Retry { connected: true };
                        }
                    }
                }
                _ = sleep_until(live.next_heartbeat) => {
                    // A missing ack means a dead connection, unless this side stopped
                    // reading on purpose (the ack waits unread behind the events).
                    if live.awaiting_ack && reading {
                        tracing::info!("no heartbeat ack: the connection is dead");
                        return Ending::Retry { connected: true };
                    }
                    let received = self.resume.as_ref().map_or(0, |r| r.last_event_seq);
                    let applied = self.applied_seq.load(Ordering::Acquire);
                    let frame = ClientFrame::Heartbeat { last_event_seq: received.min(applied) };
                    if send(sink, &frame).await.is_err() {
                        return Ending::Retry { connected: true };
                    }
                    live.awaiting_ack = reading;
                    live.next_heartbeat = deadline_in(live.heartbeat_every);
                }
                _ = sleep_until(refresh_at), if live.refresh_at.is_some() => {
                    live.refresh_at = None;
                    if let Some(provider) = self.config.token_provider.clone() {
                        let user = self.credentials().user_id;
                        let tokens = self.tokens_tx.clone();
                        tokio::spawn(async move {
                            let token = provider.fetch_token(user.as_str()).await;
                            let _ = tokens.send(token).await;
                        });
                    }
                }
            }
        }
    }

    async fn on_read(&mut self, read: Read, live: &mut Live) -> Option<Ending> {
        let incoming = match read {
            Read::Frame(incoming) => incoming,
            Read::Unreadable(error) => {
                tracing::warn!(%error, "unreadable frame skipped");
                return None;
            }
        };
        match incoming {
            Incoming::Frame(ServerFrame::Response { id, outcome }) => {
                self.on_response(id, outcome, live);
                if live
                    .logout
                    .as_ref()
                    .is_some_and(|(logout_id, _)| *logout_id == id)
                {
                    if let Some((_, reply)) = live.logout.take() {
                        let _ = reply.send(Ok(()));
                    }
                    return Some(Ending::Terminal(DisconnectReason::LoggedOut));
                }
                None
            }
            Incoming::Frame(ServerFrame::Event { seq, event }) => {
                self.on_event(seq, Some(event), None)
            }
            Incoming::Frame(ServerFrame::HeartbeatAck { .. }) => {
                live.awaiting_ack = false;
                None
            }
            Incoming::Frame(ServerFrame::Goodbye {
                reason,
                reconnect,
                message,
            }) => Some(self.goodbye(Some(reason), reconnect, &message).await),
            Incoming::Frame(ServerFrame::Error { error }) => {
                tracing::warn!(%error, "server reported an error");
                None
            }
            Incoming::Frame(ServerFrame::Welcome { .. }) => None,
            Incoming::UnknownEvent { seq, kind } => {
                tracing::debug!(seq, %kind, "event of an unknown kind skipped");
                self.on_event(seq, None, None)
            }
            Incoming::MalformedEvent { seq, kind, error } => {
                tracing::warn!(seq, %kind, %error, "malformed event; its state will be re-synced");
                self.on_event(seq, None, Some(kind))
            }
            Incoming::UnknownGoodbye { reconnect, message } => {
                Some(self.goodbye(None, reconnect, &message).await)
            }
        }
    }

    fn on_response(&mut self, id: u64, outcome: Outcome, live: &mut Live) {
        if let Some(token) = live.refreshing.remove(&id) {
            match &outcome {
                Outcome::Result(Response::TokenRefreshed(refreshed)) => {
                    self.set_token(token);
                    let expires_at_ms = refreshed.expires_at_ms;
                    self.schedule_refresh(live, expires_at_ms);
                    tracing::info!(expires_at_ms, "token refreshed");
                }
                Outcome::Error(error) => tracing::warn!(%error, "token refresh refused"),
                Outcome::Result(_) => {}
            }
        }
        match &outcome {
            Outcome::Result(Response::MemberList(list)) => {
                // The windows' starting point, in wire order with the events.
                self.inbound
                    .push(Inbound::MemberList(Box::new(list.clone())));
            }
            Outcome::Result(response @ (Response::Presences(_) | Response::Viewing(_))) => {
                self.inbound
                    .push(Inbound::InOrder(Box::new(response.clone())));
            }
            _ => {}
        }
        if let Some(reply) = live.pending.remove(&id) {
            let result: Result<Response, community_protocol::ApiError> = outcome.into();
            let _ = reply.send(result.map_err(SdkError::Api));
        }
    }

    /// Checks an event's sequence and forwards it (`event` is `None` for an unknown or a
    /// malformed one; `malformed` names the kind of the latter).
    fn on_event(
        &mut self,
        seq: u64,
        event: Option<Event>,
        malformed: Option<String>,
    ) -> Option<Ending> {
        let resume = self.resume.as_mut()?;
        if seq <= resume.last_event_seq {
            tracing::debug!(seq, "duplicate event skipped");
            return None;
        }
        if seq > resume.last_event_seq + 1 {
            tracing::warn!(
                seq,
                expected = resume.last_event_seq + 1,
                "event stream broken; resuming"
            );
            return Some(Ending::Retry { connected: true });
        }
        resume.last_event_seq = seq;
        let item = match malformed {
            Some(kind) => Inbound::Malformed { seq, kind },
            None => Inbound::Event {
                seq,
                event: event.map(Box::new),
            },
        };
        self.inbound.push(item);
        None
    }

    async fn on_command(
        &mut self,
        command: Command,
        sink: &mut Sink,
        live: &mut Live,
    ) -> Option<Ending> {
        match command {
            Command::Request { request, reply } => {
                let id = self.next_id();
                if let Request::RefreshToken(refresh) = request.as_ref() {
                    live.refreshing.insert(id, refresh.token.clone());
                }
                let frame = ClientFrame::Request {
                    id,
                    request: *request,
                };
                if let Err(error) = send(sink, &frame).await {
                    tracing::info!(%error, "send failed");
                    let _ = reply.send(Err(ConnectionError::Lost.into()));
                    return Some(Ending::Retry { connected: true });
                }
                live.await_answer(id, reply);
                None
            }
            Command::Logout { reply } => {
                let id = self.next_id();
                let frame = ClientFrame::Request {
                    id,
                    request: Request::Logout(Empty {}),
                };
                if send(sink, &frame).await.is_err() {
                    let _ = reply.send(Ok(()));
                    return Some(Ending::Terminal(DisconnectReason::LoggedOut));
                }
                live.logout = Some((id, reply));
                None
            }
            Command::Reconnect => {
                tracing::info!("reconnecting on request");
                Some(Ending::Retry { connected: false })
            }
        }
    }

    /// Plans the next token refresh `margin` before `expires_at_ms` (server clock), or
    /// half-way when the token lives shorter than twice the margin.
    fn schedule_refresh(&self, live: &mut Live, expires_at_ms: i64) {
        if self.config.token_provider.is_none() {
            live.refresh_at = None;
            return;
        }
        let server_now_ms = now_ms().saturating_add(live.clock_offset_ms);
        let wait = refresh_wait(
            expires_at_ms,
            server_now_ms,
            self.config.token_refresh_margin,
        );
        live.refresh_at = Some(deadline_in(wait));
    }
}

/// How long to wait before refreshing a token that expires at `expires_at_ms` when the
/// server's clock reads `server_now_ms`: `margin` before the expiry, or half-way when the
/// token lives shorter than twice the margin. Saturates on absurd values (server input).
fn refresh_wait(expires_at_ms: i64, server_now_ms: i64, margin: Duration) -> Duration {
    let remaining_ms = u64::try_from(expires_at_ms.saturating_sub(server_now_ms)).unwrap_or(0);
    let margin_ms = millis(margin);
    let wait_ms = if remaining_ms > margin_ms.saturating_mul(2) {
        remaining_ms - margin_ms
    } else {
        remaining_ms / 2
    };
    Duration::from_millis(wait_ms)
}

impl Live {
    /// Remembers a request awaiting its answer, and forgets those whose caller stopped
    /// waiting (timed out or dropped): answers that never come cannot grow the map.
    fn await_answer(&mut self, id: u64, reply: Reply) {
        self.pending.retain(|_, waiting| !waiting.is_closed());
        self.pending.insert(id, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_waits_saturate_on_absurd_server_clocks() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            refresh_wait(1_000_000, 0, minute),
            Duration::from_millis(940_000)
        );
        assert_eq!(
            refresh_wait(100_000, 0, minute),
            Duration::from_millis(50_000),
            "short-lived: half-way"
        );
        assert_eq!(refresh_wait(0, 5_000, minute), Duration::ZERO, "expired");
        assert_eq!(refresh_wait(i64::MIN, i64::MAX, minute), Duration::ZERO);
        let far = refresh_wait(i64::MAX, i64::MIN, Duration::MAX);
        let max_ms = u64::try_from(i64::MAX).unwrap();
        assert_eq!(far, Duration::from_millis(max_ms / 2));
        // And the deadline built from it does not overflow.
        assert!(deadline_in(far) > Instant::now());
    }

    #[test]
    fn requests_whose_callers_gave_up_are_forgotten() {
        let mut live = Live {
            pending: HashMap::new(),
            refreshing: HashMap::new(),
            logout: None,
            heartbeat_every: Duration::from_secs(1),
            next_heartbeat: Instant::now(),
            awaiting_ack: false,
            refresh_at: None,
            clock_offset_ms: 0,
        };
        let mut waiting = Vec::new();
        for id in 0..1_000 {
            let (reply, answer) = oneshot::channel();
            live.await_answer(id, reply);
            if id % 100 == 0 {
                waiting.push(answer);
            }
            // Every other caller timed out and dropped its receiver.
        }
        assert_eq!(
            live.pending.len(),
            waiting.len() + 1,
            "only live callers stay"
        );
        assert!(live.pending.contains_key(&999));
    }
}
