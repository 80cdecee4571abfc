//! The event loop's side of the thread pane: opening a thread (join it, forward its
//! timeline, fetch its newest page, keep it read with a [`ReadMarker`]), closing it,
//! starting a thread from a message, and sending in a thread.

use community_sdk::protocol::Seq;
use community_sdk::{Client, NewThread, ThreadHandle};

use super::{Effects, UiEvent};
use crate::app::{ChannelKey, PAGE, ThreadKey};
use crate::flow::ReadMarker;

/// The SDK handle of a thread.
fn handle(client: &Client, key: &ThreadKey) -> ThreadHandle {
    client
        .community(&key.community_id)
        .thread(key.thread_id.clone(), key.channel_id.clone())
}

impl Effects {
    /// Shows a thread: joins it (its unread messages count from now on), forwards its
    /// timeline, fetches its newest page and marks it read as it is seen.
    pub(super) fn open_thread(&mut self, key: ThreadKey) {
        self.close_thread();
        let thread = handle(&self.client, &key);
        let stream = thread.messages();
        let marker = ReadMarker::spawn(stream.clone());
        let events = self.events.clone();
        let forward_key = key.clone();
        let task = tokio::spawn(async move {
            if let Err(error) = thread.join().await {
                let _ = events.send(UiEvent::Notice(format!("cannot join the thread: {error}")));
            }
            let mut subscription = match stream.subscribe_messages().await {
                Ok(subscription) => subscription,
                Err(error) => {
                    let _ =
                        events.send(UiEvent::Notice(format!("cannot open the thread: {error}")));
                    return;
                }
            };
            let page = stream.messages(None, PAGE).await;
            let _ = events.send(UiEvent::ThreadPage(forward_key.clone(), page));
            while let Some(updates) = subscription.next().await {
                if events
                    .send(UiEvent::ThreadMessages(forward_key.clone(), updates))
                    .is_err()
                {
                    return;
                }
            }
        });
        self.thread = Some((key, task, marker));
    }

    /// Drops the shown thread's subscription and read marker.
    pub(super) fn close_thread(&mut self) {
        if let Some((_, task, _)) = self.thread.take() {
            task.abort();
        }
    }

    /// The user has seen the shown thread up to `seq`.
    pub(super) fn thread_seen(&self, seq: Seq) {
        if let Some((_, _, marker)) = &self.thread {
            marker.seen(seq);
        }
    }

    /// Starts a thread from message `seq` of `key`'s channel; the UI shows it once started.
    pub(super) fn start_thread(&mut self, key: ChannelKey, seq: Seq, name: String) {
        let channel = self
            .client
            .community(&key.community_id)
            .channel(&key.channel_id);
        let events = self.events.clone();
        self.spawn(async move {
            let thread = NewThread {
                name: name.clone(),
                parent_seq: Some(seq),
                ..NewThread::default()
            };
            let event = match channel.create_thread(thread).await {
                Ok(thread) => UiEvent::ThreadStarted(
                    ThreadKey {
                        community_id: key.community_id,
                        channel_id: key.channel_id,
                        thread_id: thread.id().clone(),
                    },
                    name,
                    seq,
                ),
                Err(error) => UiEvent::Notice(format!("no thread: {error}")),
            };
            let _ = events.send(event);
        });
    }

    /// Sends a text message in a thread (a refusal, e.g. `thread_archived`, becomes a
    /// notice).
    pub(super) fn send_in_thread(&mut self, key: &ThreadKey, text: String) {
        let stream = handle(&self.client, key).messages();
        self.spawn_call(
            "not sent",
            async move { stream.send_text(text).await.map(drop) },
        );
    }
}
