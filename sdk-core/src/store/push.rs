//! This device's push token (protocol §23.1): the SQL and the [`Store`] methods.
//!
//! One row holds the token the app registered last, its platform, and the server session
//! that acknowledged it (`''` while it is still to be sent). A second table holds tokens
//! still to be unregistered on the server: one the app replaced by another, or
//! unregistered while offline. The SDK's push hook (`crate::push`) works through both
//! whenever the session is ready.

use community_protocol::push::PushPlatform;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, StoreResult};

/// The push token remembered for this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTokenRecord {
    /// Its push service.
    pub platform: PushPlatform,
    /// The token.
    pub token: String,
    /// The server session that acknowledged it; empty while it is still to be sent.
    pub registered_session: String,
}

impl PushTokenRecord {
    /// True when the server acknowledged it in `session_id` (nothing to send).
    pub fn registered_in(&self, session_id: &str) -> bool {
        !self.registered_session.is_empty() && self.registered_session == session_id
    }
}

/// What [`Store::push_set`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushSet {
    /// The same platform and token were remembered already (nothing changed).
    Unchanged,
    /// The token is remembered now, to be sent.
    Stored,
}

fn get(connection: &Connection) -> Result<Option<PushTokenRecord>, StoreError> {
    let row = connection
        .prepare_cached("SELECT platform, token, registered_session FROM push_token WHERE id = 1")?
        .query_row([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    row.map(|(platform, token, registered_session)| {
        let platform = PushPlatform::parse(&platform)
            .ok_or_else(|| StoreError::decode("push_token.platform", platform))?;
        Ok(PushTokenRecord {
            platform,
            token,
            registered_session,
        })
    })
    .transpose()
}

fn set(
    connection: &Connection,
    platform: PushPlatform,
    token: &str,
) -> Result<PushSet, StoreError> {
    let previous = get(connection)?;
    if let Some(previous) = &previous {
        if previous.token == token && previous.platform == platform {
            return Ok(PushSet::Unchanged);
        }
        if previous.token != token && !previous.registered_session.is_empty() {
            // The replaced token is this device's no more: the server should forget it.
            queue_unregister(connection, &previous.token)?;
        }
    }
    connection
        .prepare_cached("DELETE FROM push_unregister WHERE token = ?1")?
        .execute([token])?;
    connection
        .prepare_cached(
            "INSERT INTO push_token (id, platform, token, registered_session)
             VALUES (1, ?1, ?2, '')
             ON CONFLICT (id) DO UPDATE SET platform = excluded.platform,
                 token = excluded.token, registered_session = ''",
        )?
        .execute(params![platform.as_str(), token])?;
    Ok(PushSet::Stored)
}

fn queue_unregister(connection: &Connection, token: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT OR IGNORE INTO push_unregister (token) VALUES (?1)")?
        .execute([token])?;
    Ok(())
}

impl Store {
    /// The push token remembered for this device, if any.
    pub async fn push_token(&self) -> StoreResult<Option<PushTokenRecord>> {
        self.read(tracing::debug_span!("store.push_token"), get)
            .await
    }

    /// Remembers `token` as this device's push token, to be sent. A different token
    /// remembered before and acknowledged by the server is queued for unregistering.
    pub async fn push_set(&self, platform: PushPlatform, token: String) -> StoreResult<PushSet> {
        let span = tracing::debug_span!("store.push_set", %platform);
        self.write(span, move |c| set(c, platform, &token)).await
    }

    /// Notes that the server acknowledged `token` in `session_id`; false when it is not
    /// the remembered token (any more).
    pub async fn push_registered(&self, token: String, session_id: String) -> StoreResult<bool> {
        let span = tracing::debug_span!("store.push_registered");
        self.write(span, move |c| {
            let changed = c
                .prepare_cached(
                    "UPDATE push_token SET registered_session = ?2 WHERE id = 1 AND token = ?1",
                )?
                .execute(params![token, session_id])?;
            Ok(changed > 0)
        })
        .await
    }

    /// Forgets `token` as this device's token; with `unregister`, queues it to be
    /// unregistered on the server.
    pub async fn push_remove(&self, token: String, unregister: bool) -> StoreResult<()> {
        let span = tracing::debug_span!("store.push_remove", unregister);
        self.write(span, move |c| {
            c.prepare_cached("DELETE FROM push_token WHERE token = ?1")?
                .execute([&token])?;
            if unregister {
                queue_unregister(c, &token)?;
            }
            Ok(())
        })
        .await
    }

    /// The tokens still to unregister on the server.
    pub async fn push_to_unregister(&self) -> StoreResult<Vec<String>> {
        self.read(tracing::debug_span!("store.push_to_unregister"), |c| {
            let mut statement =
                c.prepare_cached("SELECT token FROM push_unregister ORDER BY rowid")?;
            let tokens = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(tokens)
        })
        .await
    }

    /// Notes that the server forgot `token` (nothing left to unregister).
    pub async fn push_unregistered(&self, token: String) -> StoreResult<()> {
        let span = tracing::debug_span!("store.push_unregistered");
        self.write(span, move |c| {
            c.prepare_cached("DELETE FROM push_unregister WHERE token = ?1")?
                .execute([&token])?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_replaced_token_is_queued_for_unregistering() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("push.sqlite3")).await.unwrap();
        assert_eq!(store.push_token().await.unwrap(), None);
        let set = store.push_set(PushPlatform::Fcm, "a".into()).await.unwrap();
        assert_eq!(set, PushSet::Stored);
        let set = store.push_set(PushPlatform::Fcm, "a".into()).await.unwrap();
        assert_eq!(set, PushSet::Unchanged);
        // Not acknowledged yet: replacing it queues nothing.
        store
            .push_set(PushPlatform::Apns, "b".into())
            .await
            .unwrap();
        assert!(store.push_to_unregister().await.unwrap().is_empty());
        assert!(
            store
                .push_registered("b".into(), "s1".into())
                .await
                .unwrap()
        );
        assert!(
            !store
                .push_registered("a".into(), "s1".into())
                .await
                .unwrap()
        );
        let record = store.push_token().await.unwrap().unwrap();
        assert!(record.registered_in("s1") && !record.registered_in("s2"));
        assert_eq!(record.platform, PushPlatform::Apns);
        store.push_set(PushPlatform::Fcm, "c".into()).await.unwrap();
        assert_eq!(
            store.push_to_unregister().await.unwrap(),
            vec!["b".to_string()]
        );
        // Registering a queued token again takes it off the queue.
        store
            .push_set(PushPlatform::Apns, "b".into())
            .await
            .unwrap();
        assert!(store.push_to_unregister().await.unwrap().is_empty());
        store.push_remove("b".into(), true).await.unwrap();
        assert_eq!(store.push_token().await.unwrap(), None);
        assert_eq!(
            store.push_to_unregister().await.unwrap(),
            vec!["b".to_string()]
        );
        store.push_unregistered("b".into()).await.unwrap();
        assert!(store.push_to_unregister().await.unwrap().is_empty());
    }
}
