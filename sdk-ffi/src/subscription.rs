//! Turning an SDK [`Subscription`] into calls of a foreign listener or C callback.
//!
//! [`pump`] spawns one task on the SDK runtime that awaits the subscription's values and
//! queues each one for the callback thread ([`runtime::dispatch`]), one at a time: it
//! takes the next value only once the listener returned from the previous one. A slow
//! listener therefore leaves its backlog in the subscription, which bounds it (a
//! subscriber that falls far behind gets a fresh reset), instead of in the callback
//! thread's queue, which would grow without bound. The returned [`Gate`] ends it: [`Gate::cancel`] aborts the task and guarantees that, once it returns, the
//! listener is not running and will not be called again (it waits for a call in flight,
//! unless it is itself called from the callback thread, where nothing else can be running).
//! This is what lets a C caller free its `user_data` right after cancelling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use community_sdk::Subscription;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use crate::error::SdkError;
use crate::runtime::{self, dispatch, on_callback_thread};

/// The off switch of one pumped subscription.
#[derive(Debug, Default)]
pub struct Gate {
    cancelled: AtomicBool,
    /// Held while the listener runs, so that `cancel` can wait for it.
    running: Mutex<()>,
    task: Mutex<Option<AbortHandle>>,
}

impl Gate {
    /// Ends the subscription: no listener call starts after this returns, and none is
    /// running (unless called from inside a listener).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
        }
        if !on_callback_thread() {
            drop(self.running.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    fn deliver<T>(&self, value: T, listener: &(dyn Fn(T) + Send + Sync)) {
        let _running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.is_cancelled() {
            listener(value);
        }
    }
}

/// Where a pump takes its values from: a [`Subscription`] (or, in tests, any stream).
pub(crate) trait Source<T>: Send + 'static {
    /// The next value; `None` when the stream ended.
    fn next_value(&mut self) -> impl Future<Output = Option<T>> + Send;
}

impl<T: Send + 'static> Source<T> for Subscription<T> {
    fn next_value(&mut self) -> impl Future<Output = Option<T>> + Send {
        self.next()
    }
}

/// Delivers every value of `subscription` (the current value first, then the changes) to
/// `listener` on the callback thread, in order, until the gate is cancelled or the client
/// shuts down.
pub fn pump<T, L>(subscription: Subscription<T>, listener: L) -> Result<Arc<Gate>, SdkError>
where
    T: Send + 'static,
    L: Fn(T) + Send + Sync + 'static,
{
    pump_source(subscription, listener)
}

pub(crate) fn pump_source<T, L>(
    mut source: impl Source<T>,
    listener: L,
) -> Result<Arc<Gate>, SdkError>
where
    T: Send + 'static,
    L: Fn(T) + Send + Sync + 'static,
{
    let gate = Arc::new(Gate::default());
    // Aborting the task may drop the last reference on a runtime thread: the listener
    // itself is released on the callback thread.
    let listener = Arc::new(Foreign(Some(listener)));
    let task_gate = Arc::clone(&gate);
    let task = runtime::runtime()?.spawn(async move {
        while let Some(value) = source.next_value().await {
            if task_gate.is_cancelled() {
                break;
            }
            let (gate, listener) = (Arc::clone(&task_gate), Arc::clone(&listener));
            // Dropped when the job has run (or was discarded): that is the signal.
            let (delivered, done) = oneshot::channel::<()>();
            let job = move || {
                let _delivered = delivered;
                if let Some(listener) = &listener.0 {
                    gate.deliver(value, listener);
                }
            };
            if !dispatch(job) {
                tracing::error!("no callback thread; the subscription ends");
                break;
            }
            // One value in flight per subscription (see the module docs).
            let _ = done.await;
        }
    });
    *gate.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task.abort_handle());
    if gate.is_cancelled() {
        task.abort();
    }
    Ok(gate)
}

/// A foreign listener (or a closure holding one), released on the callback thread when
/// its subscription ends ([`runtime::release`]).
struct Foreign<L: Send + 'static>(Option<L>);

impl<L: Send + 'static> Drop for Foreign<L> {
    fn drop(&mut self) {
        if let Some(listener) = self.0.take() {
            runtime::release(listener);
        }
    }
}

/// What a subscribe call returns to Kotlin, Swift and Python: cancel it, or drop it (close
/// it in Kotlin, let it go out of scope in Swift and Python), to end the subscription.
#[derive(Debug, uniffi::Object)]
pub struct TaskHandle {
    gate: Arc<Gate>,
}

impl TaskHandle {
    pub(crate) fn new(gate: Arc<Gate>) -> Arc<TaskHandle> {
        Arc::new(TaskHandle { gate })
    }
}

#[uniffi::export]
impl TaskHandle {
    /// Ends the subscription. After it returns the listener is not called again.
    pub fn cancel(&self) {
        self.gate.cancel();
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.gate.is_cancelled()
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.gate.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A stream of numbers that counts how many were taken from it.
    struct Counting {
        next: usize,
        end: usize,
        taken: Arc<AtomicUsize>,
    }

    impl Source<usize> for Counting {
        fn next_value(&mut self) -> impl Future<Output = Option<usize>> + Send {
            let value = (self.next < self.end).then_some(self.next);
            if value.is_some() {
                self.next += 1;
                self.taken.fetch_add(1, Ordering::SeqCst);
            }
            std::future::ready(value)
        }
    }

    #[test]
    fn a_slow_listener_holds_back_the_pump_instead_of_queueing_everything() {
        let taken = Arc::new(AtomicUsize::new(0));
        let source = Counting {
            next: 0,
            end: 10_000,
            taken: Arc::clone(&taken),
        };
        let (entered, listener_entered) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let (seen, delivered) = mpsc::channel();
        let gate = pump_source(source, move |value| {
            if value == 0 {
                let _ = entered.send(());
                let _ = released
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(10));
            }
            let _ = seen.send(value);
        })
        .unwrap();
        listener_entered
            .recv_timeout(Duration::from_secs(10))
            .unwrap();
        // Give an eager pump every chance to run ahead while the listener is stuck.
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            taken.load(Ordering::SeqCst) <= 2,
            "took {} values while one listener call was stuck",
            taken.load(Ordering::SeqCst)
        );
        release.send(()).unwrap();
        let got: Vec<usize> = (0..100)
            .map(|_| delivered.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        assert_eq!(got, (0..100).collect::<Vec<_>>(), "in order, none lost");
        gate.cancel();
    }
}
