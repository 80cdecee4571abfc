//! SQL for the session record: the one row that lets the runtime resume after a restart.

use rusqlite::{Connection, OptionalExtension, params};

use super::columns::{int, uint};
use super::{SessionRecord, StoreError};

/// The saved session, if any.
pub(crate) fn get(connection: &Connection) -> Result<Option<SessionRecord>, StoreError> {
    let row = connection
        .prepare_cached(
            "SELECT user_id, device_id, session_id, last_event_seq FROM session WHERE id = 1",
        )?
        .query_row([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    row.map(|(user_id, device_id, session_id, seq)| {
        Ok(SessionRecord {
            user_id: user_id.into(),
            device_id,
            session_id,
            last_event_seq: uint(seq, "last_event_seq")?,
        })
    })
    .transpose()
}

/// Saves (replaces) the session.
pub(crate) fn save(connection: &Connection, session: &SessionRecord) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO session (id, user_id, device_id, session_id, last_event_seq)
             VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
                 device_id = excluded.device_id, session_id = excluded.session_id,
                 last_event_seq = excluded.last_event_seq",
        )?
        .execute(params![
            session.user_id.as_str(),
            session.device_id,
            session.session_id,
            int(session.last_event_seq)
        ])?;
    Ok(())
}

/// Moves the resume cursor; false when no session is saved.
pub(crate) fn set_last_event_seq(connection: &Connection, seq: u64) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached("UPDATE session SET last_event_seq = ?1 WHERE id = 1")?
        .execute([int(seq)])?;
    Ok(changed > 0)
}

/// Forgets the session.
pub(crate) fn clear(connection: &Connection) -> Result<(), StoreError> {
    connection
        .prepare_cached("DELETE FROM session")?
        .execute([])?;
    Ok(())
}
