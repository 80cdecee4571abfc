//! Turning an SDK [`Subscription`] into calls of a foreign listener or C callback.
//!
//! [`pump`] spawns one task on the SDK runtime that awaits the subscription's values and
//! queues each one for the callback thread ([`runtime::dispatch`]). The returned [`Gate`]
//! ends it: [`Gate::cancel`] aborts the task and guarantees that, once it returns, the
//! listener is not running and will not be called again (it waits for a call in flight,
//! unless it is itself called from the callback thread, where nothing else can be running).
//! This is what lets a C caller free its `user_data` right after cancelling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use community_sdk::Subscription;
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

/// Delivers every value of `subscription` (the current value first, then the changes) to
/// `listener` on the callback thread, in order, until the gate is cancelled or the client
/// shuts down.
pub fn pump<T, L>(mut subscription: Subscription<T>, listener: L) -> Result<Arc<Gate>, SdkError>
where
    T: Send + 'static,
    L: Fn(T) + Send + Sync + 'static,
{
    let gate = Arc::new(Gate::default());
    let listener: Arc<dyn Fn(T) + Send + Sync> = Arc::new(listener);
    let task_gate = Arc::clone(&gate);
    let task = runtime::runtime()?.spawn(async move {
        while let Some(value) = subscription.next().await {
            if task_gate.is_cancelled() {
                break;
            }
            let (gate, listener) = (Arc::clone(&task_gate), Arc::clone(&listener));
            if !dispatch(move || gate.deliver(value, &*listener)) {
                tracing::error!("no callback thread; the subscription ends");
                break;
            }
        }
    });
    *gate.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task.abort_handle());
    if gate.is_cancelled() {
        task.abort();
    }
    Ok(gate)
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
