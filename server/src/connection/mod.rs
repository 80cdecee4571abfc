//! One WebSocket connection: a reader (frames in, handled in order, in the connection's
//! task) and a writer (frames and events out, in a task of its own so that event wake-ups
//! never poll the reader), joined by the connection's [`Outbox`].
//!
//! When the reader stops first it asks the writer for its ending (goodbye or plain close)
//! and waits for it; when the writer stops first (goodbye from the hub, socket failure,
//! kill) the reader is dropped. Either way the session, if any, is released: it lingers
//! for `session_linger`, resumable, and is then forgotten unless a connection took it
//! over.

mod auth;
mod frames;
mod reader;
mod writer;

use std::sync::Arc;

use axum::extract::ws::WebSocket;
use community_protocol::GoodbyeReason;
use futures_util::StreamExt;
use tracing::Instrument;

use crate::hub::{Ending, Outbox, Session};
use crate::shared::{RunState, Shared};
use crate::sockets::Accepted;
use reader::{Phase, Reader, ReaderEnd};
use writer::WriterEnd;

/// Serves one upgraded WebSocket until it ends; `accepted` (its place under the connection
/// cap) is held until then.
pub(crate) async fn serve(socket: WebSocket, shared: Arc<Shared>, accepted: Accepted) {
    let id = shared.hub.next_key();
    let span = tracing::info_span!("connection", id);
    serve_inner(socket, shared, id, accepted)
        .instrument(span)
        .await;
}

async fn serve_inner(socket: WebSocket, shared: Arc<Shared>, id: u64, accepted: Accepted) {
    let _live = shared.connections.enter();
    let hello_deadline = accepted.deadline(shared.config.handshake_timeout);
    let outbox = Arc::new(
        Outbox::new(id, shared.config.max_pending_responses)
            .with_coalescer(Arc::clone(&shared.coalescer)),
    );
    let (sink, mut stream) = socket.split();
    let mut reader = Reader {
        shared: Arc::clone(&shared),
        outbox: Arc::clone(&outbox),
        phase: Phase::AwaitHello,
        hello_deadline,
    };
    tracing::debug!("connected");
    // Not instrumented: entering the span at every poll costs more than the writer's
    // work per event; its one log line names the connection itself.
    let writer = tokio::spawn(writer::run(
        sink,
        Arc::clone(&outbox),
        shared.run.subscribe(),
        shared.config.write_timeout,
    ));
    // Whether the connection ended for silence (heartbeat timeout): presence needs no
    // grace then.
    let mut silent = false;
    let killed = {
        let reading = reader.run(&mut stream, shared.run.subscribe());
        tokio::pin!(reading, writer);
        tokio::select! {
            biased;
            end = &mut writer => end.unwrap_or(WriterEnd::SocketError) == WriterEnd::Killed,
            end = &mut reading => {
                match end {
                    ReaderEnd::Killed => {}
                    ReaderEnd::Goodbye(goodbye) => {
                        tracing::debug!(reason = ?goodbye.reason, "saying goodbye");
                        silent = goodbye.reason == GoodbyeReason::HeartbeatTimeout;
                        outbox.end(Ending::Goodbye(goodbye));
                    }
                    ReaderEnd::ClientGone => outbox.end(Ending::Close),
                }
                writer.await.unwrap_or(WriterEnd::SocketError) == WriterEnd::Killed
            }
        }
    };
    if let Phase::LoggedIn { session, .. } = reader.phase
        && !killed
    {
        release(&shared, session, id, silent);
    }
    tracing::debug!("disconnected");
    drop(accepted);
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
