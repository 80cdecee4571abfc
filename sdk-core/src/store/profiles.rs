//! SQL for the profiles of users the app has seen (message senders, conversation
//! participants, members): kept so names and avatars show offline, replaced when a newer
//! one arrives (`profile_updated`, `get_profiles`).

use std::collections::BTreeMap;

use community_protocol::Profile;
use rusqlite::{Connection, params};

use super::StoreError;
use super::columns::*;

/// Inserts or replaces profiles, each unless the cached one is newer. Returns how many
/// were written.
pub(crate) fn upsert(connection: &Connection, profiles: &[Profile]) -> Result<usize, StoreError> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO profiles (user_id, display_name, avatar_url, fields, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET
             display_name = excluded.display_name, avatar_url = excluded.avatar_url,
             fields = excluded.fields, updated_at_ms = excluded.updated_at_ms
         WHERE excluded.updated_at_ms >= profiles.updated_at_ms",
    )?;
    let mut written = 0;
    for profile in profiles {
        let fields = if profile.fields.is_empty() {
            None
        } else {
            Some(to_json(&profile.fields, "fields")?)
        };
        written += statement.execute(params![
            profile.user_id.as_str(),
            profile.display_name,
            profile.avatar_url,
            fields,
            profile.updated_at_ms,
        ])?;
    }
    Ok(written)
}

/// Every cached profile.
pub(crate) fn load(connection: &Connection) -> Result<Vec<Profile>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT user_id, display_name, avatar_url, fields, updated_at_ms FROM profiles",
    )?;
    let mut rows = statement.query([])?;
    let mut profiles = Vec::new();
    while let Some(row) = rows.next()? {
        let fields: BTreeMap<String, String> = match row.get::<_, Option<String>>(3)? {
            Some(text) => from_json(&text, "fields")?,
            None => BTreeMap::new(),
        };
        profiles.push(Profile {
            user_id: row.get::<_, String>(0)?.into(),
            display_name: row.get(1)?,
            avatar_url: row.get(2)?,
            fields,
            updated_at_ms: row.get(4)?,
        });
    }
    Ok(profiles)
}
