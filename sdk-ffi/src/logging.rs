//! The log bridge: the SDK's `tracing` events, forwarded to the host app's logger.
//!
//! Apps register one sink (a [`LogListener`] in Kotlin, Swift and Python, a JSON callback in
//! C) with the most verbose level they want. Records are delivered on the callback thread,
//! in order, like every listener call; records emitted *on* that thread (or the wake
//! thread) are not forwarded, so a failing log listener can never feed itself. At most
//! 1,000 records (`MAX_QUEUED_RECORDS`) wait for that thread; beyond that they are dropped and
//! counted (the listener then gets one warning with the count), so a slow listener cannot
//! grow memory without bound.
//!
//! The bridge installs itself as the process's global `tracing` subscriber on first use.
//! A Rust host that already installed one keeps it: registration then fails with
//! `invalid_argument`, and the SDK's events go to the host's subscriber instead.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::error::SdkError;
use crate::runtime::{self, CALLBACK_THREAD_NAME, WAKE_THREAD_NAME};
use crate::uniffi_api::{ListenerError, report};

/// How verbose the forwarded log is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, uniffi::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Failures.
    Error,
    /// Unexpected but handled situations.
    Warn,
    /// Connection and session milestones.
    Info,
    /// Details for debugging.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct LogRecord {
    /// Its level.
    pub level: LogLevel,
    /// Where it comes from (a Rust module path, e.g. `community_sdk::connection`).
    pub target: String,
    /// The message, followed by its fields as `key=value`.
    pub message: String,
}

/// Receives the SDK's log records (on the callback thread).
#[uniffi::export(foreign)]
pub trait LogListener: Send + Sync {
    /// One record.
    fn on_log(&self, record: LogRecord) -> Result<(), ListenerError>;
}

/// Where records go.
type Deliver = Arc<dyn Fn(LogRecord) + Send + Sync>;

/// `0` = no sink; otherwise `1 + LogLevel as u8` (the most verbose level forwarded).
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Deliver>> = RwLock::new(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Most records waiting for the callback thread; more are dropped and counted.
pub(crate) const MAX_QUEUED_RECORDS: usize = 1_000;
/// Records waiting for the callback thread now.
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Records dropped since the last one delivered.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// One queued record's place in [`QUEUED`], given back when its job ran or was dropped.
struct QueueSlot;

impl QueueSlot {
    fn take() -> Option<QueueSlot> {
        if QUEUED.fetch_add(1, Ordering::SeqCst) < MAX_QUEUED_RECORDS {
            Some(QueueSlot)
        } else {
            QUEUED.fetch_sub(1, Ordering::SeqCst);
            DROPPED.fetch_add(1, Ordering::SeqCst);
            None
        }
    }
}

impl Drop for QueueSlot {
    fn drop(&mut self) {
        QUEUED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Queues `record` for the callback thread, unless too many wait already.
fn forward(deliver: Deliver, record: LogRecord) {
    let Some(slot) = QueueSlot::take() else {
        return;
    };
    let dropped = DROPPED.swap(0, Ordering::SeqCst);
    runtime::dispatch(move || {
        let _slot = slot;
        if dropped > 0 {
            deliver(LogRecord {
                level: LogLevel::Warn,
                target: module_path!().to_owned(),
                message: format!("{dropped} log records dropped: the log listener is too slow"),
            });
        }
        deliver(record);
    });
}

/// Routes the SDK's log to `listener` at `level` and above, or stops forwarding (`None`).
/// Replaces an earlier listener.
#[uniffi::export]
pub fn set_log_listener(
    level: LogLevel,
    listener: Option<Arc<dyn LogListener>>,
) -> Result<(), SdkError> {
    set_sink(
        level,
        listener
            .map(|listener| -> Deliver { Arc::new(move |record| report(listener.on_log(record))) }),
    )
}

/// Installs (once) the bridge and sets the sink; shared by the uniffi and C entry points.
pub(crate) fn set_sink(level: LogLevel, deliver: Option<Deliver>) -> Result<(), SdkError> {
    let installed = *INSTALLED.get_or_init(|| {
        tracing_subscriber::registry()
            .with(Bridge)
            .try_init()
            .is_ok()
    });
    if !installed {
        return Err(SdkError::invalid_argument(
            "another tracing subscriber is installed in this process; the SDK logs there",
        ));
    }
    let max = if deliver.is_some() {
        level as u8 + 1
    } else {
        0
    };
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = deliver;
    MAX_LEVEL.store(max, Ordering::SeqCst);
    // Callsites cache whether they are enabled; make them ask again.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

fn wanted(metadata: &Metadata<'_>) -> bool {
    let max = MAX_LEVEL.load(Ordering::Relaxed);
    max != 0 && (LogLevel::of(metadata.level()) as u8) < max
}

/// The `tracing` layer that forwards events to the sink.
struct Bridge;

impl<S: Subscriber> Layer<S> for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if !wanted(metadata) {
            return;
        }
        let thread = std::thread::current();
        if matches!(thread.name(), Some(CALLBACK_THREAD_NAME | WAKE_THREAD_NAME)) {
            return;
        }
        let Some(deliver) = SINK.read().unwrap_or_else(PoisonError::into_inner).clone() else {
            return;
        };
        let mut text = MessageText::default();
        event.record(&mut text);
        let record = LogRecord {
            level: LogLevel::of(metadata.level()),
            target: metadata.target().to_owned(),
            message: text.0,
        };
        forward(deliver, record);
    }
}

/// Formats an event's fields: the message first, then `key=value` pairs.
#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}");
            if !rest.is_empty() {
                self.0.push(' ');
                self.0.push_str(&rest);
            }
        } else {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// The sink is global: one test at a time.
    static SINK_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn records_reach_the_sink_at_their_level_and_stop_when_removed() {
        let _one = SINK_TESTS.lock().unwrap_or_else(PoisonError::into_inner);
        let (sender, receiver) = mpsc::channel::<LogRecord>();
        let sender = std::sync::Mutex::new(sender);
        set_sink(
            LogLevel::Info,
            Some(Arc::new(move |record| {
                let _ = sender.lock().unwrap().send(record);
            })),
        )
        .unwrap();
        tracing::debug!("too verbose");
        tracing::info!(user = "ann", attempt = 2, "logged in");
        let record = receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(record.level, LogLevel::Info);
        assert_eq!(record.message, "logged in user=ann attempt=2");
        assert!(record.target.starts_with("community_sdk_ffi"));

        set_sink(LogLevel::Trace, None).unwrap();
        tracing::error!("nobody listens");
        assert!(receiver.recv_timeout(Duration::from_millis(300)).is_err());
    }

    #[test]
    fn a_stuck_log_listener_costs_a_bounded_queue_and_learns_what_it_missed() {
        let _one = SINK_TESTS.lock().unwrap_or_else(PoisonError::into_inner);
        let (sender, receiver) = mpsc::channel::<LogRecord>();
        let (release, released) = mpsc::channel::<()>();
        let released = std::sync::Mutex::new(released);
        let sender = std::sync::Mutex::new(sender);
        set_sink(
            LogLevel::Info,
            Some(Arc::new(move |record: LogRecord| {
                if record.message.starts_with("first") {
                    let _ = released
                        .lock()
                        .unwrap()
                        .recv_timeout(Duration::from_secs(10));
                }
                let _ = sender.lock().unwrap().send(record);
            })),
        )
        .unwrap();
        tracing::info!("first, blocks the listener");
        let burst = MAX_QUEUED_RECORDS * 3;
        for n in 0..burst {
            tracing::info!(n, "burst");
        }
        assert!(QUEUED.load(Ordering::SeqCst) <= MAX_QUEUED_RECORDS);
        release.send(()).unwrap();
        for _ in 0..1_000 {
            if QUEUED.load(Ordering::SeqCst) == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            QUEUED.load(Ordering::SeqCst),
            0,
            "every slot was given back"
        );
        tracing::info!("after the burst");
        let mut got = Vec::new();
        while let Ok(record) = receiver.recv_timeout(Duration::from_secs(10)) {
            let after = record.message.starts_with("after");
            got.push(record);
            if after {
                break;
            }
        }
        set_sink(LogLevel::Trace, None).unwrap();
        let bursts = got
            .iter()
            .filter(|r| r.message.starts_with("burst"))
            .count();
        assert!(
            bursts > 0 && bursts <= MAX_QUEUED_RECORDS,
            "{bursts} queued"
        );
        let dropped: usize = got
            .iter()
            .filter(|r| r.message.contains("log records dropped"))
            .filter_map(|r| r.message.split(' ').next()?.parse::<usize>().ok())
            .sum();
        assert!(
            bursts + dropped >= burst,
            "{bursts} delivered, {dropped} counted"
        );
        assert!(got.last().is_some_and(|r| r.message.starts_with("after")));
    }
}
