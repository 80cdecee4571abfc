//! The push hook: keeps the server's copy of this device's push token (protocol §23.1)
//! equal to the one the app registered, whatever the connection did meanwhile.
//!
//! The token lives in the user's store (`push_token`, with the server session that
//! acknowledged it), so registering works before the connection is up or while it is
//! down. [`run`] is a small task beside the outbox driver: each time the session becomes
//! `Ready` (after every login and reconnect) and each time the API wakes it, it
//! unregisters the tokens queued for that (replaced or unregistered offline), then
//! registers the token unless the current server session acknowledged it already (a new
//! session sends it once more: cheap, and it renews the token on the server). Transient
//! failures (connection, server trouble) leave the work for the next attempt; a
//! permanent refusal forgets the token (logged).
//!
//! [`unregister_at_logout`] is what `logout` does first: the store forgets the token and
//! the server is asked to forget it while the session still exists (best effort,
//! bounded); a token the server could not be told about stays queued for this user's next
//! login on this device.

use std::sync::Arc;
use std::time::Duration;

use community_protocol::push::{PushPlatform, RegisterPushToken, UnregisterPushToken};
use community_protocol::{ErrorCode, ErrorKind, op};
use tokio::sync::{Notify, watch};

use crate::connection::ConnectionHandle;
use crate::error::SdkError;
use crate::phase::Phase;
use crate::store::Store;

/// Pause before trying again after a transient failure.
const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// How long `logout` waits for the server to forget the token.
const LOGOUT_BUDGET: Duration = Duration::from_secs(3);

/// What the hook works with.
pub(crate) struct PushContext {
    pub store: Store,
    pub connection: ConnectionHandle,
    pub phase: watch::Receiver<Phase>,
    pub wake: Arc<Notify>,
}

/// True for failures that may pass later (the work is kept for the next attempt).
pub(crate) fn transient(error: &SdkError) -> bool {
    match error {
        SdkError::Api(error) => {
            error.kind() == ErrorKind::Server
                || error.code == ErrorCode::NOT_LOGGED_IN
                || error.code == ErrorCode::CLIENT_RATE_LIMITED
        }
        SdkError::Connection(_) | SdkError::NotLoggedIn => true,
        _ => false,
    }
}

/// The hook's body: works whenever the session is `Ready`, until it ends.
pub(crate) async fn run(mut cx: PushContext) {
    loop {
        loop {
            match &*cx.phase.borrow_and_update() {
                Phase::Ready => break,
                Phase::Ended(_) => return,
                Phase::Offline | Phase::Syncing => {}
            }
            if cx.phase.changed().await.is_err() {
                return;
            }
        }
        let done = settle(&cx.store, &cx.connection).await;
        tokio::select! {
            _ = cx.wake.notified() => {}
            changed = cx.phase.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep(RETRY_PAUSE), if !done => {}
        }
    }
}

/// The current server session's id, when one is saved.
async fn session_id(store: &Store) -> Option<String> {
    match store.session().await {
        Ok(session) => session.map(|s| s.session_id).filter(|id| !id.is_empty()),
        Err(error) => {
            tracing::warn!(%error, "cannot read the session for the push token");
            None
        }
    }
}

/// Sends what the server lacks; true when nothing is left to do (or nothing can be done
/// until something changes).
pub(crate) async fn settle(store: &Store, connection: &ConnectionHandle) -> bool {
    let Some(session_id) = session_id(store).await else {
        return true;
    };
    let queued = match store.push_to_unregister().await {
        Ok(queued) => queued,
        Err(error) => {
            tracing::warn!(%error, "cannot read the push tokens to unregister");
            return false;
        }
    };
    for token in queued {
        match unregister_on_server(connection, &token).await {
            Err(error) if transient(&error) => {
                tracing::debug!(%error, "push token not unregistered yet; will retry");
                return false;
            }
            result => {
                if let Err(error) = result {
                    tracing::warn!(%error, "the server refused to unregister a push token");
                }
                if let Err(error) = store.push_unregistered(token).await {
                    tracing::warn!(%error, "cannot note an unregistered push token");
                    return false;
                }
            }
        }
    }
    let record = match store.push_token().await {
        Ok(Some(record)) if !record.registered_in(&session_id) => record,
        Ok(_) => return true,
        Err(error) => {
            tracing::warn!(%error, "cannot read the push token");
            return false;
        }
    };
    match register_on_server(connection, record.platform, &record.token).await {
        Ok(()) => {
            if let Err(error) = store.push_registered(record.token, session_id).await {
                tracing::warn!(%error, "cannot note a registered push token");
            }
            true
        }
        Err(error) if transient(&error) => {
            tracing::debug!(%error, "push token not registered yet; will retry");
            false
        }
        Err(error) => {
            tracing::warn!(%error, "the server refused the push token; forgetting it");
            if let Err(error) = store.push_remove(record.token, false).await {
                tracing::warn!(%error, "cannot forget a refused push token");
            }
            true
        }
    }
}

/// `register_push_token` on the server.
pub(crate) async fn register_on_server(
    connection: &ConnectionHandle,
    platform: PushPlatform,
    token: &str,
) -> Result<(), SdkError> {
    connection
        .call(op::RegisterPushToken(RegisterPushToken {
            platform,
            token: token.to_string(),
        }))
        .await
}

/// `unregister_push_token` on the server.
pub(crate) async fn unregister_on_server(
    connection: &ConnectionHandle,
    token: &str,
) -> Result<(), SdkError> {
    connection
        .call(op::UnregisterPushToken(UnregisterPushToken {
            token: token.to_string(),
        }))
        .await
}

/// At logout, before the session ends: forgets this device's token and asks the server to
/// forget it and the other queued ones (when connected and synced; at most
/// [`LOGOUT_BUDGET`]). Best effort: a token the server could not be told about stays
/// queued, and the push hook unregisters it after this user's next login on this device
/// (unless the app registers it again). Errors are logged.
pub(crate) async fn unregister_at_logout(
    store: &Store,
    connection: Option<&ConnectionHandle>,
    ready: bool,
) {
    match store.push_token().await {
        Ok(Some(record)) => {
            if let Err(error) = store.push_remove(record.token, true).await {
                tracing::warn!(%error, "cannot forget the push token at logout");
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "cannot read the push token at logout"),
    }
    let Some(connection) = connection.filter(|_| ready) else {
        return;
    };
    let queued = store.push_to_unregister().await.unwrap_or_default();
    let all = async {
        for token in queued {
            match unregister_on_server(connection, &token).await {
                Err(error) if transient(&error) => {
                    tracing::info!(%error, "could not unregister a push token at logout");
                    return;
                }
                result => {
                    if let Err(error) = result {
                        tracing::info!(%error, "the server refused to unregister a push token");
                    }
                    if let Err(error) = store.push_unregistered(token).await {
                        tracing::warn!(%error, "cannot note an unregistered push token");
                    }
                }
            }
        }
    };
    if tokio::time::timeout(LOGOUT_BUDGET, all).await.is_err() {
        tracing::info!("unregistering the push token at logout took too long");
    }
}
