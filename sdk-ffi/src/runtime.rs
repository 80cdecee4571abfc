//! The tokio runtime the SDK owns, and the one thread that calls foreign listeners.
//!
//! [`runtime`] is a multi-threaded runtime created on first use and kept for the life of
//! the process; the SDK's own tasks (connection, sync, outbox) run on it. Async exports for
//! Kotlin coroutines, Swift tasks and Python asyncio spawn their work onto it and await the
//! task's [`JoinHandle`] (cancelling the foreign future aborts the task); the C ABI drives
//! its call with [`block_on`] on the engine's own thread, within the runtime's context.
//!
//! Listener callbacks go through [`dispatch`]: they run one after the other on a single
//! dedicated thread (`community-sdk-callbacks`), never on a runtime thread (a slow or
//! blocking listener cannot stall the SDK) and never under an SDK lock. A panic or a foreign
//! exception inside a callback is caught there and logged; delivery goes on.
//!
//! The wake-ups of async exports do not run on runtime threads either: waking a uniffi
//! future calls into the foreign language (Python's continuation callback takes the GIL),
//! so [`run`] hands every wake to a second dedicated thread (`community-sdk-wakes`). Both
//! threads stop for good in [`stop_callbacks`], which a host calls at exit: a thread that
//! entered a finalizing Python interpreter would be killed inside Rust frames and abort the
//! process ("exception not rethrown"). For the same reason a foreign listener is released
//! (its last reference dropped, which calls into its language) on the callback thread,
//! never on a runtime thread that aborts its subscription's task ([`release`]); after
//! [`stop_callbacks`] it is leaked instead.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::SdkError;

/// Name of the runtime's worker threads.
pub const RUNTIME_THREAD_NAME: &str = "community-sdk-rt";
/// Name of the thread that calls listeners and C callbacks.
pub const CALLBACK_THREAD_NAME: &str = "community-sdk-callbacks";
/// Name of the thread that wakes the foreign side's futures.
pub const WAKE_THREAD_NAME: &str = "community-sdk-wakes";

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The SDK's runtime, created on first use (two worker threads, all drivers enabled).
pub fn runtime() -> Result<&'static Runtime, SdkError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(RUNTIME_THREAD_NAME)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| SdkError::internal(format!("cannot start the SDK runtime: {e}")))
}

/// A spawned task that is aborted when this value is dropped before it finished (so a
/// cancelled Kotlin coroutine or Swift task cancels the Rust work too).
struct AbortOnDrop<T> {
    handle: JoinHandle<T>,
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Wake the awaiting (foreign) future from the wake thread, not a runtime thread.
        let waker = Waker::from(Arc::new(WakeOnWakeThread(cx.waker().clone())));
        Pin::new(&mut self.handle).poll(&mut Context::from_waker(&waker))
    }
}

/// A waker that forwards its wake to the wake thread.
struct WakeOnWakeThread(Waker);

impl Wake for WakeOnWakeThread {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = self.0.clone();
        // After `stop_callbacks` the process is exiting: the wake is dropped on purpose.
        if !WAKES.dispatch(move || waker.wake()) && !STOPPED.load(Ordering::SeqCst) {
            self.0.wake_by_ref();
        }
    }
}

/// Runs `future` on the SDK runtime and awaits it from any executor (a foreign one: the
/// wake-up comes from the wake thread). A panic inside becomes [`SdkError::Internal`];
/// dropping the returned future aborts the work.
pub async fn run<F, T>(future: F) -> Result<T, SdkError>
where
    F: Future<Output = Result<T, SdkError>> + Send + 'static,
    T: Send + 'static,
{
    spawn_and_await(future).await
}

async fn spawn_and_await<F, T>(future: F) -> Result<T, SdkError>
where
    F: Future<Output = Result<T, SdkError>> + Send + 'static,
    T: Send + 'static,
{
    let handle = AbortOnDrop {
        handle: runtime()?.spawn(future),
    };
    match handle.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => Err(SdkError::internal("the SDK panicked; see the log")),
        Err(_) => Err(SdkError::internal("the SDK task was cancelled")),
    }
}

/// Drives `future` on the calling thread, inside the SDK runtime's context (its timers,
/// sockets and tasks run on the runtime's workers), until it is done: no task is spawned
/// and no other thread is woken for the call itself. This is how the C ABI's blocking
/// calls run. Refuses (instead of deadlocking or panicking) when called from a runtime
/// thread. A panic inside unwinds to the caller (the C boundary catches it).
pub fn block_on<F, T>(future: F) -> Result<T, SdkError>
where
    F: Future<Output = Result<T, SdkError>>,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(SdkError::wrong_thread());
    }
    runtime()?.block_on(future)
}

type Job = Box<dyn FnOnce() + Send>;

/// Set by [`stop_callbacks`]: queued and later jobs of both lanes are dropped.
static STOPPED: AtomicBool = AtomicBool::new(false);
/// The thread that calls listeners and C callbacks.
static CALLBACKS: Lane = Lane::new(CALLBACK_THREAD_NAME);
/// The thread that wakes foreign futures.
static WAKES: Lane = Lane::new(WAKE_THREAD_NAME);

/// One dedicated thread running queued jobs in order, started on first use.
struct Lane {
    name: &'static str,
    sender: OnceLock<Mutex<Option<mpsc::Sender<Job>>>>,
    /// Held by the thread while a job runs.
    running: Mutex<()>,
}

impl Lane {
    const fn new(name: &'static str) -> Self {
        Lane {
            name,
            sender: OnceLock::new(),
            running: Mutex::new(()),
        }
    }

    fn start(&'static self) -> Option<mpsc::Sender<Job>> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                while let Ok(job) = receiver.recv() {
                    let _running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
                    if STOPPED.load(Ordering::SeqCst) {
                        continue;
                    }
                    if catch_unwind(AssertUnwindSafe(job)).is_err() {
                        tracing::warn!(
                            lane = self.name,
                            "a foreign call panicked or threw; delivery goes on"
                        );
                    }
                }
            });
        match spawned {
            Ok(_) => Some(sender),
            Err(error) => {
                tracing::error!(%error, lane = self.name, "cannot start the thread");
                None
            }
        }
    }

    /// Queues `job`; false when stopped or when the thread could not be started.
    fn dispatch(&'static self, job: impl FnOnce() + Send + 'static) -> bool {
        if STOPPED.load(Ordering::SeqCst) {
            return false;
        }
        let slot = self.sender.get_or_init(|| Mutex::new(self.start()));
        let sender = slot.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match sender {
            Some(sender) => sender.send(Box::new(job)).is_ok(),
            None => false,
        }
    }

    /// Waits until the job in flight (if any) has returned, at most until `deadline`.
    fn wait_idle(&self, deadline: Instant) {
        if std::thread::current().name() == Some(self.name) {
            return;
        }
        while Instant::now() < deadline {
            match self.running.try_lock() {
                Ok(_) | Err(std::sync::TryLockError::Poisoned(_)) => return,
                Err(std::sync::TryLockError::WouldBlock) => {
                    std::thread::sleep(Duration::from_millis(5))
                }
            }
        }
    }
}

/// Queues `job` for the callback thread. Jobs run in the order they were queued. A panic
/// (which is how uniffi reports an exception thrown by a foreign listener) is caught and
/// logged. Returns false when the callback thread could not be started or callbacks were
/// stopped.
pub fn dispatch(job: impl FnOnce() + Send + 'static) -> bool {
    CALLBACKS.dispatch(job)
}

/// Stops every listener and callback delivery, and every wake-up of a foreign future, for
/// good, and waits (at most two seconds) for a call in flight to return. Hosts whose runtime
/// cannot take calls during shutdown call it at exit: the Python package registers it with
/// `atexit`, because a thread entering a finalizing interpreter would be killed by it.
/// Idempotent.
#[uniffi::export]
pub fn stop_callbacks() {
    STOPPED.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(2);
    CALLBACKS.wait_idle(deadline);
    WAKES.wait_idle(deadline);
}

/// Drops `value` on the callback thread (at once when called there). For foreign objects
/// (listeners): releasing one calls into its language, which must not happen on a runtime
/// thread. Once callbacks are stopped (the process exits) the value is leaked instead.
pub fn release<T: Send + 'static>(value: T) {
    if STOPPED.load(Ordering::SeqCst) {
        std::mem::forget(value);
        return;
    }
    if on_callback_thread() {
        drop(value);
        return;
    }
    let held = std::mem::ManuallyDrop::new(value);
    // Run: released there. Never run (stopped, or no thread): leaked, on purpose.
    let _ = CALLBACKS.dispatch(move || drop(std::mem::ManuallyDrop::into_inner(held)));
}

/// True when the current thread is the callback thread.
pub fn on_callback_thread() -> bool {
    std::thread::current().name() == Some(CALLBACK_THREAD_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_values_are_dropped_on_the_callback_thread() {
        struct Noted(mpsc::Sender<Option<String>>);
        impl Drop for Noted {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().name().map(String::from));
            }
        }
        let (sender, dropped) = mpsc::channel();
        release(Noted(sender));
        let thread = dropped.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(thread.as_deref(), Some(CALLBACK_THREAD_NAME));
    }

    #[test]
    fn run_maps_panics_and_block_on_refuses_runtime_threads() {
        // An async export's task panics: the caller gets `internal`.
        let result: Result<(), SdkError> = block_on(run(async { panic!("boom") }));
        assert_eq!(
            result.map_err(|e| e.code()),
            Err(crate::error::codes::INTERNAL)
        );
        // A blocking (C) call's panic unwinds to the C boundary, which catches it.
        let code = crate::capi::guard(|| block_on(async { panic!("boom") }));
        assert_eq!(code, crate::capi::CSDK_ERR_INTERNAL_PANIC);

        let nested = block_on(async { Ok(block_on(async { Ok(1) })) });
        let inner = nested
            .map_err(|e| e.code())
            .and_then(|r| r.map_err(|e| e.code()));
        assert_eq!(inner, Err(crate::error::codes::WRONG_THREAD));
    }

    #[test]
    fn dispatch_survives_a_panicking_job_and_keeps_order() {
        let (sender, receiver) = mpsc::channel();
        assert!(dispatch(|| panic!("listener failure")));
        for i in 0..3 {
            let sender = sender.clone();
            assert!(dispatch(move || {
                let _ = sender.send((i, on_callback_thread()));
            }));
        }
        let got: Vec<_> = (0..3)
            .map(|_| {
                receiver
                    .recv_timeout(std::time::Duration::from_secs(5))
                    .unwrap()
            })
            .collect();
        assert_eq!(got, vec![(0, true), (1, true), (2, true)]);
    }
}
