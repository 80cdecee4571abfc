//! [`Phase`]: where a user session stands with the server — the one value the session,
//! the sync task and the outbox driver watch (through a `tokio::sync::watch`) to know
//! whether requests may go. Its own module, so the tasks depend on it and not on the
//! session that wires them together.

use crate::model::DisconnectReason;

/// Where the session stands with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not connected (never started, or reconnecting).
    Offline,
    /// Logged in; bringing the cache up to date.
    Syncing,
    /// Logged in and synced (counts exact): requests and the outbox may go.
    Ready,
    /// The connection ended for good.
    Ended(DisconnectReason),
}
