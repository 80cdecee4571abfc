//! The connection's writing side: drains the outbox (responses and other frames, in
//! order), then the attached session's unsent events (wrapping each shared body with its
//! sequence), in one batch written at once, and says goodbye when the outbox asks for an
//! ending.
//!
//! It runs in the connection's own task, when the outbox wakes it (see
//! `crate::connection`); under load its event wake-ups are coalesced (see
//! [`crate::hub::outbox`]): everything that piled up during a window goes out in one
//! write. A round holds no buffer once written.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use community_protocol::{ServerFrame, codec};

use crate::hub::{Ending, Outbox, Session, TAKE_BATCH, Taken};
use crate::ws::{Batch, WebSocket};

/// How a write round ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Round {
    /// Written; the connection goes on.
    Written,
    /// The ending (goodbye or plain close) was written.
    Ended,
    /// The socket failed or a write timed out (the client went away or stopped reading).
    Failed,
}

/// Event batches written before the writer looks at its outbox again.
const MAX_ROUNDS: usize = 16;

/// Write rounds a runtime thread makes between two offers of its core (see
/// [`offer_the_core`]).
const ROUNDS_PER_OFFER: u32 = 32;

thread_local! {
    /// Write rounds this runtime thread made since it last offered its core.
    static ROUNDS_SINCE_OFFER: Cell<u32> = const { Cell::new(0) };
}

/// Every [`ROUNDS_PER_OFFER`] write rounds on a thread, lets a thread that waits for this
/// core run first (`sched_yield`; it returns at once when none waits). A message to a
/// large community wakes thousands of writers at once, and on a small machine they would
/// keep every core busy for milliseconds: a commit thread woken meanwhile — another
/// community's send, waiting for its durable acknowledgement — would wait for all of them
/// (docs/BENCHMARKS.md, isolation). Offered every few dozen rounds (about 0.1 ms of
/// writing), the core goes to it within that. Not a wait: the thread runs on as soon as
/// the other has had its turn. Returns whether it offered the core this time.
fn offer_the_core() -> bool {
    ROUNDS_SINCE_OFFER.with(|rounds| {
        let made = rounds.get() + 1;
        if made >= ROUNDS_PER_OFFER {
            rounds.set(0);
            std::thread::yield_now();
            true
        } else {
            rounds.set(made);
            false
        }
    })
}

/// One connection's writing side: its outbox and the session whose events it streams.
pub(crate) struct Writer {
    /// Where frames and wake-ups come from.
    pub outbox: Arc<Outbox>,
    session: Option<Arc<Session>>,
    write_timeout: Duration,
}

impl Writer {
    /// A writer for `outbox`; a round that makes no progress for `write_timeout` fails.
    pub fn new(outbox: Arc<Outbox>, write_timeout: Duration) -> Self {
        Self {
            outbox,
            session: None,
            write_timeout,
        }
    }

    /// Writes everything the outbox has now (and the ending, if asked for).
    pub async fn round(&mut self, socket: &mut WebSocket) -> Round {
        let work = self.outbox.take();
        if let Some(attached) = work.attach {
            self.session = Some(attached);
        }
        let outbox = &self.outbox;
        let session = self.session.as_deref();
        let write = async {
            let mut batch = socket.batch();
            write_batch(&mut batch, outbox, work.frames, session).await?;
            match work.ending {
                Some(ending) => {
                    close(batch, ending).await?;
                    Ok(true)
                }
                None => batch.flush().await.map(|()| false),
            }
        };
        let written = tokio::time::timeout(self.write_timeout, write).await;
        offer_the_core();
        match written {
            Ok(Ok(true)) => Round::Ended,
            Ok(Ok(false)) => Round::Written,
            Ok(Err(error)) => {
                tracing::debug!(connection = outbox.id, %error, "write failed");
                Round::Failed
            }
            Err(_) => {
                tracing::info!(
                    connection = outbox.id,
                    "write timed out; dropping connection"
                );
                Round::Failed
            }
        }
    }
}

/// Adds the outbox's frames, then the session's unsent events (a bounded number of
/// batches), to `batch`.
async fn write_batch(
    batch: &mut Batch<'_>,
    outbox: &Outbox,
    frames: VecDeque<String>,
    session: Option<&Session>,
) -> io::Result<()> {
    let compress_min = outbox.compress_min();
    for frame in frames {
        match message(frame, compress_min).await? {
            Ok(bytes) => batch.binary(&bytes).await?,
            Err(text) => batch.text(&text).await?,
        }
    }
    let Some(session) = session else {
        return Ok(());
    };
    outbox.taking_events();
    let mut events = Vec::with_capacity(TAKE_BATCH);
    // Bounded: each round takes at most a batch, and stops when the session has nothing
    // more or is no longer ours; a goodbye asked for meanwhile is written first. After
    // the last round the writer wakes itself to come back (after serving the outbox).
    for _ in 0..MAX_ROUNDS {
        if outbox.is_ending() {
            return Ok(());
        }
        events.clear();
        match session.take_events(outbox.id, &mut events) {
            Taken::Events(0) | Taken::Detached => return Ok(()),
            Taken::Events(_) => {
                for (seq, body) in events.drain(..) {
                    batch.text(&event_frame(seq, &body)).await?;
                }
            }
        }
    }
    outbox.wake();
    Ok(())
}

/// A frame as it goes out: `Err(text)`, or `Ok(bytes)` — binary DEFLATE, when the client
/// agreed on `deflate` and the frame is at least `compress_min` long (a sync answer, a
/// page of history), compressed on a blocking thread (tens of ms for megabytes). Event
/// frames are never compressed: they are small and shared by every recipient.
async fn message(frame: String, compress_min: usize) -> io::Result<Result<Vec<u8>, String>> {
    if compress_min == 0 || frame.len() < compress_min {
        return Ok(Err(frame));
    }
    tokio::task::spawn_blocking(move || {
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
    .map_err(io::Error::other)
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

/// Writes the ending: the goodbye frame, then the close frame (with the goodbye's code,
/// if any), then shuts the socket's sending side down.
async fn close(mut batch: Batch<'_>, ending: Ending) -> io::Result<()> {
    let mut code = None;
    if let Ending::Goodbye(goodbye) = ending {
        let frame = ServerFrame::Goodbye {
            reason: goodbye.reason,
            reconnect: goodbye.reconnect,
            message: goodbye.message,
        };
        if let Ok(text) = codec::encode_server(&frame) {
            batch.text(&text).await?;
        }
        code = goodbye.close;
    }
    batch.close(code).await;
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

    #[test]
    fn a_thread_offers_its_core_once_per_rounds_per_offer_write_rounds() {
        // A thread of its own: the count is per thread.
        let offers = std::thread::spawn(|| {
            (0..ROUNDS_PER_OFFER * 3)
                .filter(|_| offer_the_core())
                .count()
        })
        .join()
        .expect("thread");
        assert_eq!(offers, 3);
    }
}
