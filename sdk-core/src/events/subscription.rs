//! [`Subscription`]: the receiving end of one change stream.

use tokio::sync::mpsc;

/// A filter applied to every delivered batch; `None` drops the batch.
type Filter<T> = Box<dyn FnMut(T) -> Option<T> + Send>;

/// A stream of values: the current value first, then changes. Dropping it (or calling
/// [`Subscription::cancel`]) ends it; it also ends (`next` returns `None`) when the client
/// shuts down.
pub struct Subscription<T> {
    initial: Option<T>,
    receiver: mpsc::UnboundedReceiver<T>,
    filter: Option<Filter<T>>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("initial_pending", &self.initial.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Subscription<T> {
    pub(crate) fn new(initial: T, receiver: mpsc::UnboundedReceiver<T>) -> Self {
        Self {
            initial: Some(initial),
            receiver,
            filter: None,
        }
    }

    /// Applies `filter` to every later batch (not to the initial value).
    pub(crate) fn with_filter(
        mut self,
        filter: impl FnMut(T) -> Option<T> + Send + 'static,
    ) -> Self {
        self.filter = Some(Box::new(filter));
        self
    }

    /// The next value: the current value on the first call, then each batch of changes.
    /// `None` once the client has shut down.
    pub async fn next(&mut self) -> Option<T> {
        if let Some(initial) = self.initial.take() {
            return Some(initial);
        }
        loop {
            let value = self.receiver.recv().await?;
            if let Some(value) = self.apply_filter(value) {
                return Some(value);
            }
        }
    }

    /// The next value if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<T> {
        if let Some(initial) = self.initial.take() {
            return Some(initial);
        }
        loop {
            let value = self.receiver.try_recv().ok()?;
            if let Some(value) = self.apply_filter(value) {
                return Some(value);
            }
        }
    }

    /// Ends the subscription (the same as dropping it).
    pub fn cancel(self) {}

    fn apply_filter(&mut self, value: T) -> Option<T> {
        match self.filter.as_mut() {
            Some(filter) => filter(value),
            None => Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn initial_value_comes_first_then_filtered_changes() {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut subscription =
            Subscription::new(0, receiver).with_filter(|v| (v % 2 == 0).then_some(v));
        for value in 1..=4 {
            sender.send(value).unwrap();
        }
        drop(sender);
        assert_eq!(subscription.next().await, Some(0));
        assert_eq!(subscription.next().await, Some(2));
        assert_eq!(subscription.try_next(), Some(4));
        assert_eq!(subscription.next().await, None);
    }
}
