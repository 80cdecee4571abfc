//! The one task that writes to a connection's socket.
//!
//! It drains the outbox (responses and other frames, in order), then the attached
//! session's unsent events (wrapping each shared body with its sequence), flushes once per
//! batch, and sleeps until woken. Under load its event wake-ups are coalesced (see
//! [`crate::hub::outbox`]): everything that piled up during a window goes out in one
//! write. When the outbox asks for an ending it writes the
//! goodbye, closes the WebSocket and returns. It returns at once, writing nothing more,
//! when the server is killed.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use community_protocol::{ServerFrame, codec};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::watch;

use crate::hub::{Ending, Outbox, Session, TAKE_BATCH, Taken};
use crate::shared::RunState;

/// How the writer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriterEnd {
    /// It wrote the ending (goodbye or plain close).
    Ended,
    /// The socket failed (the client went away).
    SocketError,
    /// The server was killed.
    Killed,
}

type Sink = SplitSink<WebSocket, Message>;

/// Event batches written before the writer looks at its outbox again.
const MAX_ROUNDS: usize = 16;

/// Runs the writer until the connection ends. A write that makes no progress for
/// `write_timeout` (a client that stopped reading) ends the connection. It runs as its own
/// task, so a wake-up for events polls only the writer, never the reader.
pub(crate) async fn run(
    mut sink: Sink,
    outbox: Arc<Outbox>,
    mut run: watch::Receiver<RunState>,
    write_timeout: Duration,
) -> WriterEnd {
    let mut session: Option<Arc<Session>> = None;
    let mut events = Vec::with_capacity(0);
    let killed = run.wait_for(|state| *state == RunState::Killed);
    tokio::pin!(killed);
    loop {
        let work = outbox.take();
        if let Some(attached) = work.attach {
            session = Some(attached);
        }
        // Boxed: the write future is large and lives only while writing, so an idle
        // connection does not carry it inline.
        let write = Box::pin(async {
            write_batch(
                &mut sink,
                &outbox,
                work.frames,
                session.as_deref(),
                &mut events,
            )
            .await?;
            match work.ending {
                Some(ending) => close(&mut sink, ending).await.map(|()| true),
                None => sink.flush().await.map(|()| false),
            }
        });
        let ended = tokio::select! {
            biased;
            _ = &mut killed => return WriterEnd::Killed,
            written = tokio::time::timeout(write_timeout, write) => written,
        };
        match ended {
            Ok(Ok(true)) => return WriterEnd::Ended,
            Ok(Ok(false)) => {}
            Ok(Err(_)) => return WriterEnd::SocketError,
            Err(_) => {
                tracing::info!(
                    connection = outbox.id,
                    "write timed out; dropping connection"
                );
                return WriterEnd::SocketError;
            }
        }
        if events.capacity() > TAKE_BATCH {
            events = Vec::new();
        }
        tokio::select! {
            biased;
            _ = &mut killed => return WriterEnd::Killed,
            _ = outbox.woken() => {}
        }
    }
}

async fn write_batch(
    sink: &mut Sink,
    outbox: &Outbox,
    frames: VecDeque<String>,
    session: Option<&Session>,
    events: &mut Vec<(u64, Arc<str>)>,
) -> Result<(), axum::Error> {
    let compress_min = outbox.compress_min();
    for frame in frames {
        sink.feed(message(frame, compress_min).await?).await?;
    }
    let Some(session) = session else {
        return Ok(());
    };
    outbox.taking_events();
    // Bounded: each round takes at most a batch, and stops when the session has nothing
    // more or is no longer ours; a goodbye asked for meanwhile is written first. After
    // the last round the writer wakes itself to come back (after serving the outbox).
    for _ in 0..MAX_ROUNDS {
        if outbox.is_ending() {
            return Ok(());
        }
        events.clear();
        match session.take_events(outbox.id, events) {
            Taken::Events(0) | Taken::Detached => return Ok(()),
            Taken::Events(_) => {
                for (seq, body) in events.drain(..) {
                    sink.feed(Message::Text(event_frame(seq, &body).into()))
                        .await?;
                }
            }
        }
    }
    outbox.wake();
    Ok(())
}

/// A frame as a WebSocket message: text, or — when the client agreed on `deflate` and the
/// frame is at least `compress_min` long (a sync answer, a page of history) — binary
/// DEFLATE, compressed on a blocking thread (tens of ms for megabytes). Event frames are
/// never compressed: they are small and shared by every recipient.
async fn message(frame: String, compress_min: usize) -> Result<Message, axum::Error> {
    if compress_min == 0 || frame.len() < compress_min {
        return Ok(Message::Text(frame.into()));
    }
    let packed = tokio::task::spawn_blocking(move || {
        let bytes = codec::deflate(&frame);
        // `deflate` into a Vec cannot fail; were it empty, the text goes as it is.
        if bytes.is_empty() {
            Err(frame)
        } else {
            Ok(bytes)
        }
    })
    .await
    // Only when the blocking pool is gone (the server is stopping): end the connection.
    .map_err(axum::Error::new)?;
    Ok(match packed {
        Ok(bytes) => Message::Binary(bytes.into()),
        Err(frame) => Message::Text(frame.into()),
    })
}

/// The text of an `event` frame: the shared body with the session's sequence spliced in
/// (the same text as `codec::event_frame`, built in one allocation).
fn event_frame(seq: u64, body: &str) -> String {
    let mut text = String::with_capacity(body.len() + 48);
    text.push_str(r#"{"type":"event","seq":"#);
    // Writing into a String cannot fail.
    let _ = write!(text, "{seq}");
    text.push_str(r#","event":"#);
    text.push_str(body);
    text.push('}');
    text
}

async fn close(sink: &mut Sink, ending: Ending) -> Result<(), axum::Error> {
    if let Ending::Goodbye(goodbye) = ending {
        let frame = ServerFrame::Goodbye {
            reason: goodbye.reason,
            reconnect: goodbye.reconnect,
            message: goodbye.message,
        };
        if let Ok(text) = codec::encode_server(&frame) {
            sink.send(Message::Text(text.into())).await?;
        }
        if let Some((code, reason)) = goodbye.close {
            let close = CloseFrame {
                code,
                reason: reason.into(),
            };
            sink.send(Message::Close(Some(close))).await?;
        }
    }
    // The client may already be gone; the goodbye was flushed by `send`.
    let _ = sink.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_frames_match_the_codec() {
        for seq in [0, 1, 9, 10, 12_345, u64::MAX] {
            assert_eq!(
                event_frame(seq, r#"{"kind":"x"}"#),
                codec::event_frame(seq, r#"{"kind":"x"}"#)
            );
        }
    }
}
