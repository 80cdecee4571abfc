//! One WebSocket connection, served by one task that owns its socket: it reads the
//! client's frames and handles them in order ([`reader`]), and writes what the connection's
//! [`Outbox`] holds ([`writer`]) whenever the outbox wakes it — the socket's readability
//! and the outbox's wake-up are waited for together, so there is no second task and no
//! lock around the socket. While a frame is being handled (a login, a domain call that
//! waits for the store) the task keeps writing, so a handler waiting for room in the
//! outbox is never stuck.
//!
//! The connection ends when the reading side asks for it (a goodbye, or the client going
//! away: the ending is then written after what is queued), when the hub asks for it
//! through the outbox (goodbye), when the socket fails, or at once, writing nothing more,
//! when the server is killed. Either way the session, if any, is released: it lingers
//! for `session_linger`, resumable, and is then forgotten unless a connection took it
//! over.

mod auth;
mod frames;
mod reader;
mod writer;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use community_protocol::GoodbyeReason;
use futures_util::FutureExt;
use futures_util::future::Fuse;
use hyper::upgrade::OnUpgrade;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use crate::hub::{Ending, Goodbye, Outbox, Session};
use crate::shared::{RunState, Shared};
use crate::sockets::Accepted;
use crate::ws::{Incoming, Message, WebSocket};
use reader::{Phase, Reader, Step};
use writer::{Round, Writer};

/// The longest silence ever waited for (a bound on configured heartbeat intervals).
const MAX_SILENCE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The ending was written (or the client is gone).
    Closed {
        /// It ended for silence (heartbeat timeout): presence needs no grace then.
        silent: bool,
    },
    /// The server was killed: nothing is released.
    Killed,
}

/// Serves one WebSocket once hyper has upgraded its connection, until it ends;
/// `accepted` (its place under the connection cap) is held until then.
///
/// One flat future for the connection's whole life (its task's size is what an idle
/// connection costs): nothing big is passed by value from one async function to another.
pub(crate) async fn serve(on_upgrade: OnUpgrade, shared: Arc<Shared>, accepted: Accepted) {
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!(%error, "WebSocket upgrade failed");
            return;
        }
    };
    let Some(mut socket) = WebSocket::from_upgraded(upgraded, &shared.config) else {
        return;
    };
    let id = shared.hub.next_key();
    let _live = shared.connections.enter();
    let hello_deadline = accepted.deadline(shared.config.handshake_timeout);
    let outbox = Arc::new(
        Outbox::new(id, shared.config.max_pending_responses)
            .with_coalescer(Arc::clone(&shared.coalescer)),
    );
    let mut reader = Reader {
        shared: Arc::clone(&shared),
        outbox: Arc::clone(&outbox),
        phase: Phase::AwaitHello,
        hello_deadline,
    };
    let mut writer = Writer::new(outbox, shared.config.write_timeout);
    tracing::debug!(connection = id, "connected");
    let span = tracing::info_span!("connection", id);
    let end = drive(&mut socket, &mut reader, &mut writer, &shared)
        .instrument(span)
        .await;
    if let Phase::LoggedIn { session, .. } = reader.phase
        && let End::Closed { silent } = end
    {
        release(&shared, session, id, silent);
    }
    tracing::debug!(connection = id, "disconnected");
    drop(accepted);
}

/// Resolves with the server's run state once it is no longer `from` (`Killed` when the
/// server is gone).
async fn state_after(mut run: watch::Receiver<RunState>, from: RunState) -> RunState {
    match run.wait_for(|state| *state != from).await {
        Ok(state) => *state,
        Err(_) => RunState::Killed,
    }
}

/// What woke the connection while it reads.
enum Wake {
    /// The run state changed.
    State(RunState),
    /// A deadline may have passed.
    Timer,
    /// The outbox has something to write.
    Write,
    /// The socket gave something.
    Read(Incoming),
}

/// Runs the connection: reading and handling, writing when woken, until it must end;
/// then writes the ending.
async fn drive(
    socket: &mut WebSocket,
    reader: &mut Reader,
    writer: &mut Writer,
    shared: &Shared,
) -> End {
    // Capped so that a huge configured interval cannot overflow the deadline below.
    let silence = shared
        .config
        .heartbeat_interval
        .saturating_mul(2)
        .min(MAX_SILENCE);
    let mut idle = Instant::now() + silence;
    // One timer for every deadline (reset when the earliest changes), one wait for the
    // run state (re-armed for `Killed` once draining): both live as long as the
    // connection, so a wake-up for events registers nothing anew.
    let timer = tokio::time::sleep_until(reader.deadline(idle));
    tokio::pin!(timer);
    let mut stop = stop_after(shared, RunState::Running);
    let mut draining = false;
    let outbox = Arc::clone(&writer.outbox);
    let ending = 'reading: loop {
        if draining {
            break Ending::Goodbye(Goodbye::new(
                GoodbyeReason::ServerShutdown,
                true,
                "the server is shutting down; reconnect and resume",
            ));
        }
        let deadline = reader.deadline(idle);
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        let wake = tokio::select! {
            state = &mut stop => Wake::State(state),
            _ = &mut timer => Wake::Timer,
            _ = outbox.woken() => Wake::Write,
            incoming = socket.next() => Wake::Read(incoming),
        };
        let message = match wake {
            Wake::State(state) => {
                if on_state(state, &mut stop, shared, &mut draining) {
                    return End::Killed;
                }
                continue;
            }
            Wake::Timer => {
                if let Some(goodbye) = reader.deadline_passed(Instant::now(), idle, silence) {
                    break Ending::Goodbye(goodbye);
                }
                continue;
            }
            Wake::Write => {
                match Box::pin(write(socket, writer, &mut stop, shared, &mut draining)).await {
                    Ok(Round::Written) => continue,
                    Ok(Round::Ended | Round::Failed) => return End::Closed { silent: false },
                    Err(killed) => return killed,
                }
            }
            Wake::Read(Incoming::Gone) => break Ending::Close,
            Wake::Read(Incoming::Message(message)) => message,
            Wake::Read(Incoming::Invalid(error)) => {
                // Handled like a message: its answer may wait for room in the outbox.
                let handling = Box::pin(reader.on_read_error(error));
                match Box::pin(handle(
                    handling,
                    socket,
                    writer,
                    &mut stop,
                    shared,
                    &mut draining,
                ))
                .await
                {
                    Ok(Some(Step::End(goodbye))) => break 'reading Ending::Goodbye(goodbye),
                    Ok(Some(Step::Continue)) => break 'reading Ending::Close,
                    Ok(None) => return End::Closed { silent: false },
                    Err(killed) => return killed,
                }
            }
        };
        idle = Instant::now() + silence;
        let handling = match message {
            Message::Ping(payload) => {
                // Boxed, like every write: an idle connection does not carry it inline.
                let pong = Box::pin(tokio::time::timeout(
                    shared.config.write_timeout,
                    socket.pong(&payload),
                ));
                if !matches!(pong.await, Ok(Ok(()))) {
                    return End::Closed { silent: false };
                }
                continue;
            }
            Message::Pong => continue,
            Message::Close(_) => break Ending::Close,
            // Boxed: the handling future (login, domain calls) is large, and an idle
            // connection should not carry it inline (see docs/BENCHMARKS.md).
            message => Box::pin(reader.on_message(message)),
        };
        match Box::pin(handle(
            handling,
            socket,
            writer,
            &mut stop,
            shared,
            &mut draining,
        ))
        .await
        {
            Ok(Some(Step::Continue)) => {}
            Ok(Some(Step::End(goodbye))) => break Ending::Goodbye(goodbye),
            Ok(None) => return End::Closed { silent: false },
            Err(killed) => return killed,
        }
    };
    let silent = matches!(&ending, Ending::Goodbye(goodbye) if goodbye.reason == GoodbyeReason::HeartbeatTimeout);
    if let Ending::Goodbye(goodbye) = &ending {
        tracing::debug!(reason = ?goodbye.reason, "saying goodbye");
    }
    outbox.end(ending);
    // The ending goes after what is queued; a round may need a few turns (events are
    // taken a bounded batch at a time).
    loop {
        match Box::pin(write(socket, writer, &mut stop, shared, &mut draining)).await {
            Ok(Round::Written) => {}
            Ok(Round::Ended | Round::Failed) => return End::Closed { silent },
            Err(killed) => return killed,
        }
    }
}

/// The wait for the run state to change (boxed once per connection, so that it can be
/// re-armed in place).
type Stop = Fuse<Pin<Box<dyn Future<Output = RunState> + Send>>>;

/// Waits for the run state to be no longer `from`.
fn stop_after(shared: &Shared, from: RunState) -> Stop {
    let wait: Pin<Box<dyn Future<Output = RunState> + Send>> =
        Box::pin(state_after(shared.run.subscribe(), from));
    wait.fuse()
}

/// A new run state: true when the server was killed. Draining is remembered and the wait
/// re-armed for `Killed`.
fn on_state(state: RunState, stop: &mut Stop, shared: &Shared, draining: &mut bool) -> bool {
    match state {
        RunState::Killed => true,
        RunState::Running => false,
        RunState::Draining => {
            *draining = true;
            *stop = stop_after(shared, RunState::Draining);
            false
        }
    }
}
/// A message being handled (boxed: see [`drive`]).
type Handling<'a> = Pin<Box<dyn Future<Output = Step> + Send + 'a>>;

/// Runs `handling` to its end, writing whenever the outbox wakes the connection meanwhile
/// (the handler may be waiting for room in it). `Ok(None)`: the connection ended while
/// writing (the hub's goodbye, or the socket failed).
async fn handle(
    mut handling: Handling<'_>,
    socket: &mut WebSocket,
    writer: &mut Writer,
    stop: &mut Stop,
    shared: &Shared,
    draining: &mut bool,
) -> Result<Option<Step>, End> {
    let outbox = Arc::clone(&writer.outbox);
    loop {
        tokio::select! {
            biased;
            state = &mut *stop => {
                if on_state(state, stop, shared, draining) {
                    return Err(End::Killed);
                }
            }
            step = &mut handling => return Ok(Some(step)),
            _ = outbox.woken() => match Box::pin(write(socket, writer, stop, shared, draining)).await? {
                Round::Written => {}
                Round::Ended | Round::Failed => return Ok(None),
            },
        }
    }
}

/// One write round (see [`Writer::round`]), abandoned if the server is killed meanwhile.
/// Callers box it: the write future is large and lives only while writing, so an idle
/// connection does not carry it inline.
async fn write(
    socket: &mut WebSocket,
    writer: &mut Writer,
    stop: &mut Stop,
    shared: &Shared,
    draining: &mut bool,
) -> Result<Round, End> {
    let round = writer.round(socket);
    tokio::pin!(round);
    loop {
        tokio::select! {
            biased;
            state = &mut *stop => {
                if on_state(state, stop, shared, draining) {
                    return Err(End::Killed);
                }
            }
            round = &mut round => return Ok(round),
        }
    }
}

/// Detaches the session from connection `outbox_id`; if nobody else serves it, it lingers
/// and is forgotten after `session_linger` unless resumed meanwhile. The hub hears of it
/// for presence (`silent`: the connection ended by heartbeat timeout).
fn release(shared: &Arc<Shared>, session: Arc<Session>, outbox_id: u64, silent: bool) {
    let released = session.release(outbox_id);
    shared.hub.detached(&session, silent);
    let Some(attach_count) = released else {
        return;
    };
    let linger = shared.config.session_linger;
    let shared = Arc::clone(shared);
    let mut run = shared.run.subscribe();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(linger) => {
                if session.expired(attach_count) {
                    tracing::debug!(session = %session.id, "session expired");
                    shared.hub.forget(&session);
                }
            }
            _ = run.wait_for(|state| *state != RunState::Running) => {}
        }
    });
}
