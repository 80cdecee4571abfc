//! Push tokens (protocol §23.1): [`Client::register_push_token`] and
//! [`Client::unregister_push_token`].
//!
//! The app hands the SDK the token its push service (APNs, FCM, …) gave the device,
//! whenever it gets one — before logging in, offline, or online. The SDK checks it
//! locally, remembers it in the user's cache file and makes sure the server has it: at
//! once when the session is synced, otherwise after the next login (the push hook,
//! `crate::push`, also sends it again after every new server session and retries after
//! transient failures). Registering the token the server already has in this session is
//! answered without a request. A token replaced by another one is unregistered on the
//! server. At [`Client::logout`] the SDK unregisters the token before the session ends
//! (best effort, a few seconds at most; when that fails it is unregistered after the
//! user's next login on this device) and forgets it: register it again after the next
//! login.

use community_protocol::push::{PushPlatform, check_push_token};

use super::Client;
use super::client::lock;
use crate::error::SdkError;
use crate::phase::Phase;
use crate::push;
use crate::session::UserSession;

impl Client {
    /// Registers this device's push token for offline pushes (protocol §23.1).
    ///
    /// The token is checked locally first against the limits the server announced (1 to
    /// `push_token_bytes` bytes, no control characters, no surrounding whitespace):
    /// [`SdkError::Api`] with
    /// [`ErrorCode::INVALID_PUSH_TOKEN`](community_protocol::ErrorCode::INVALID_PUSH_TOKEN)
    /// (5039) otherwise.
    ///
    /// `Ok` means the SDK holds the token and the server has it — or will get it: when
    /// the session is not synced (before `login`, offline, reconnecting) or the attempt
    /// fails for a transient reason (connection lost, server trouble), the token is kept
    /// in the cache file and sent after the next login. A permanent refusal by the server
    /// is returned as its typed error, and the token is forgotten. Registering the same
    /// token again costs nothing once the server acknowledged it in the current session.
    /// A different token registered before is unregistered on the server.
    pub async fn register_push_token(
        &self,
        platform: PushPlatform,
        token: &str,
    ) -> Result<(), SdkError> {
        check_push_token(&self.limits(), token)?;
        let session = match self.inner.session() {
            Ok(session) => session,
            Err(SdkError::NotLoggedIn) => {
                // No user yet: the token waits for the next login.
                *lock(&self.inner.push_pending) = Some((platform, token.to_string()));
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if !session.is_started() {
            // A cached user not logged in yet: the next login (maybe as someone else)
            // takes it too.
            *lock(&self.inner.push_pending) = Some((platform, token.to_string()));
        }
        register(&session, platform, token).await
    }

    /// Unregisters a push token of this device's (protocol §23.1): the server no longer
    /// pushes to it for this user. The token is checked locally like
    /// [`register_push_token`](Self::register_push_token)'s (`invalid_push_token`).
    ///
    /// The SDK forgets the token at once. When the session is synced the server is asked
    /// now and its typed error returned; otherwise (or after a transient failure) the
    /// request is kept and sent after the next login. An unknown token is no error.
    /// [`logout`](Self::logout) does this by itself for the registered token.
    pub async fn unregister_push_token(&self, token: &str) -> Result<(), SdkError> {
        check_push_token(&self.limits(), token)?;
        {
            let mut pending = lock(&self.inner.push_pending);
            if pending
                .as_ref()
                .is_some_and(|(_, pending)| pending == token)
            {
                *pending = None;
            }
        }
        let session = match self.inner.session() {
            Ok(session) => session,
            Err(SdkError::NotLoggedIn) => return Ok(()),
            Err(error) => return Err(error),
        };
        session.store.push_remove(token.to_string(), true).await?;
        let Some(connection) = ready_connection(&session) else {
            session.push_wake.notify_one();
            return Ok(());
        };
        match push::unregister_on_server(&connection, token).await {
            Err(error) if push::transient(&error) => {
                tracing::debug!(%error, "push token not unregistered yet; will retry");
                session.push_wake.notify_one();
                Ok(())
            }
            result => {
                session.store.push_unregistered(token.to_string()).await?;
                result
            }
        }
    }
}

/// The connection, when the session is synced (requests may go).
fn ready_connection(session: &UserSession) -> Option<crate::connection::ConnectionHandle> {
    let ready = *session.phase.borrow() == Phase::Ready;
    session.connection().filter(|_| ready)
}

/// Remembers the token in the session's store and sends it when the session is synced.
async fn register(
    session: &UserSession,
    platform: PushPlatform,
    token: &str,
) -> Result<(), SdkError> {
    let connection = ready_connection(session);
    let session_id = match &connection {
        Some(_) => session
            .store
            .session()
            .await?
            .map(|s| s.session_id)
            .unwrap_or_default(),
        None => String::new(),
    };
    let known = session.store.push_token().await?;
    let same = known
        .as_ref()
        .is_some_and(|known| known.platform == platform && known.token == token);
    if same
        && (connection.is_none()
            || known
                .as_ref()
                .is_some_and(|known| known.registered_in(&session_id)))
    {
        // Already acknowledged in this session, or already waiting for the next login.
        return Ok(());
    }
    session.store.push_set(platform, token.to_string()).await?;
    let Some(connection) = connection else {
        return Ok(());
    };
    match push::register_on_server(&connection, platform, token).await {
        Ok(()) => {
            session
                .store
                .push_registered(token.to_string(), session_id)
                .await?;
            // A replaced token may wait to be unregistered.
            session.push_wake.notify_one();
            Ok(())
        }
        Err(error) if push::transient(&error) => {
            tracing::debug!(%error, "push token not registered yet; will retry");
            session.push_wake.notify_one();
            Ok(())
        }
        Err(error) => {
            session.store.push_remove(token.to_string(), false).await?;
            Err(error)
        }
    }
}
