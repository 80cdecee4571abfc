//! [`OutgoingMessage`]: what sending returns — the local echo now, and a way to await the
//! send's end.

use community_protocol::Seq;

use crate::error::SdkError;
use crate::model::LocalMessage;
use crate::outbox::Book;

/// A message handed to the outbox: its local echo at once, its end ([`sent`](Self::sent))
/// when the server answered. Dropping it changes nothing: the message is sent anyway.
#[derive(Clone)]
pub struct OutgoingMessage {
    echo: LocalMessage,
    book: Book,
}

impl std::fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("echo", &self.echo)
            .finish_non_exhaustive()
    }
}

impl OutgoingMessage {
    pub(crate) fn new(echo: LocalMessage, book: Book) -> Self {
        Self { echo, book }
    }

    /// The local echo as it was queued (state `Sending`).
    pub fn echo(&self) -> &LocalMessage {
        &self.echo
    }

    /// The local id (also the idempotency key): look the message up later with
    /// [`Client::local_message`](crate::Client::local_message).
    pub fn local_id(&self) -> &str {
        &self.echo.local_id
    }

    /// Waits until the server stored the message (its sequence in the channel) or refused
    /// it (the server's typed error, e.g. `message_rejected` by the deployment's content
    /// check; the message stays in the outbox as `Failed`, see `retry_send` /
    /// `discard`). `Ok(0)` when the content check discarded it silently (protocol §23.2):
    /// the send is done, nothing was stored and the echo was removed (`Discarded`). Offline, this waits until the connection returns: bound
    /// it with a timeout if the app must not wait that long.
    pub async fn sent(&self) -> Result<Seq, SdkError> {
        self.book.wait_for_send(&self.echo.local_id).await
    }
}

impl From<OutgoingMessage> for LocalMessage {
    fn from(outgoing: OutgoingMessage) -> LocalMessage {
        outgoing.echo
    }
}
