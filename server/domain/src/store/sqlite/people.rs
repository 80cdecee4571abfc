//! Known users, DM policies, blocks and profiles in SQLite.
//!
//! A user is known when a login recorded them (`users`) or when they are a member of a
//! community (`members_by_user`). Policies other than `anyone` are stored; a block is one
//! row per direction (the reverse direction is the index `blocks_by_blocked`). Who shares
//! a community or a conversation with a user is a union of primary-key ranges.

use std::collections::BTreeMap;

use community_protocol::push::{PushPlatform, PushToken};
use community_protocol::{DmPolicy, Profile, TimestampMs, UserId};
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use super::convert::{enum_from, enum_text, id, in_row};
use crate::store::{PeopleStore, StoreResult};

impl SqliteTx<'_> {
    /// Whether `sql` (one `?1`, `?2` pair of user ids) finds a row.
    fn exists(&self, sql: &str, a: &str, b: &str) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params![a, b], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

impl PeopleStore for SqliteTx<'_> {
    fn note_user(&self, user_id: &UserId, at_ms: TimestampMs) -> StoreResult<bool> {
        let added = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO users (user_id, first_seen_ms) VALUES (?1, ?2)")?
            .execute(params![user_id.as_str(), at_ms])?;
        Ok(added > 0)
    }

    fn user_exists(&self, user_id: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?1)
                 OR EXISTS (SELECT 1 FROM members WHERE user_id = ?2)",
            user_id.as_str(),
            user_id.as_str(),
        )
    }

    fn shares_community(&self, a: &UserId, b: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 FROM members x JOIN members y ON y.community_id = x.community_id
              WHERE x.user_id = ?1 AND y.user_id = ?2 LIMIT 1",
            a.as_str(),
            b.as_str(),
        )
    }

    fn contacts(&self, user_id: &UserId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT y.user_id FROM members x JOIN members y ON y.community_id = x.community_id
              WHERE x.user_id = ?1 AND y.user_id <> ?1
             UNION
             SELECT y.user_id FROM conversation_members x
               JOIN conversation_members y ON y.conversation_id = x.conversation_id
              WHERE x.user_id = ?1 AND y.user_id <> ?1
             ORDER BY 1",
        )?;
        let rows = statement.query_map([user_id.as_str()], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn dm_policy(&self, user_id: &UserId) -> StoreResult<DmPolicy> {
        let stored: Option<String> = self
            .conn
            .prepare_cached("SELECT policy FROM dm_policies WHERE user_id = ?1")?
            .query_row([user_id.as_str()], |row| row.get(0))
            .optional()?;
        match stored {
            Some(text) => enum_from(&text),
            None => Ok(DmPolicy::Anyone),
        }
    }

    fn set_dm_policy(&self, user_id: &UserId, policy: DmPolicy) -> StoreResult<()> {
        if policy == DmPolicy::Anyone {
            self.conn
                .prepare_cached("DELETE FROM dm_policies WHERE user_id = ?1")?
                .execute([user_id.as_str()])?;
        } else {
            self.conn
                .prepare_cached(
                    "INSERT INTO dm_policies (user_id, policy) VALUES (?1, ?2)
                     ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy",
                )?
                .execute(params![user_id.as_str(), enum_text(&policy)?])?;
        }
        Ok(())
    }

    fn block(&self, blocker: &UserId, blocked: &UserId, at_ms: TimestampMs) -> StoreResult<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, at_ms) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![blocker.as_str(), blocked.as_str(), at_ms])?;
        Ok(added > 0)
    }

    fn unblock(&self, blocker: &UserId, blocked: &UserId) -> StoreResult<bool> {
        let removed = self
            .conn
            .prepare_cached("DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2")?
            .execute(params![blocker.as_str(), blocked.as_str()])?;
        Ok(removed > 0)
    }

    fn blocked_by(&self, blocker: &UserId) -> StoreResult<Vec<UserId>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT blocked_id FROM blocks WHERE blocker_id = ?1 ORDER BY blocked_id",
        )?;
        let rows = statement.query_map([blocker.as_str()], |row| id(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn blocks_between(&self, a: &UserId, b: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 FROM blocks
              WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1)
              LIMIT 1",
            a.as_str(),
            b.as_str(),
        )
    }

    fn profile(&self, user_id: &UserId) -> StoreResult<Option<Profile>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT display_name, avatar_url, fields, updated_at_ms FROM profiles
                 WHERE user_id = ?1",
            )?
            .query_row([user_id.as_str()], |row| {
                let fields: BTreeMap<String, String> =
                    serde_json::from_str(&row.get::<_, String>(2)?)
                        .map_err(|e| in_row(e.into()))?;
                Ok(Profile {
                    user_id: user_id.to_owned(),
                    display_name: row.get(0)?,
                    avatar_url: row.get(1)?,
                    fields,
                    updated_at_ms: row.get(3)?,
                })
            })
            .optional()?)
    }

    fn put_profile(&self, profile: &Profile) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO profiles (user_id, display_name, avatar_url, fields, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
                        avatar_url = excluded.avatar_url, fields = excluded.fields,
                        updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![
                profile.user_id.as_str(),
                profile.display_name,
                profile.avatar_url,
                serde_json::to_string(&profile.fields)?,
                profile.updated_at_ms,
            ])?;
        Ok(())
    }

    fn put_push_token(
        &self,
        user_id: &UserId,
        token: &PushToken,
        at_ms: TimestampMs,
        keep: usize,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO push_tokens (token, user_id, platform, registered_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (token) DO UPDATE SET user_id = excluded.user_id,
                        platform = excluded.platform,
                        registered_at_ms = excluded.registered_at_ms",
            )?
            .execute(params![
                token.token,
                user_id.as_str(),
                token.platform.as_str(),
                at_ms
            ])?;
        // Least recent first past `keep` (ties: the token's text, so the choice is stable).
        self.conn
            .prepare_cached(
                "DELETE FROM push_tokens WHERE user_id = ?1 AND token NOT IN (
                     SELECT token FROM push_tokens WHERE user_id = ?1
                     ORDER BY registered_at_ms DESC, token DESC LIMIT ?2)",
            )?
            .execute(params![
                user_id.as_str(),
                i64::try_from(keep).unwrap_or(i64::MAX)
            ])?;
        Ok(())
    }

    fn delete_push_token(&self, user_id: &UserId, token: &str) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM push_tokens WHERE user_id = ?1 AND token = ?2")?
            .execute(params![user_id.as_str(), token])?
            > 0)
    }

    fn push_tokens(&self, user_id: &UserId) -> StoreResult<Vec<PushToken>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT platform, token FROM push_tokens WHERE user_id = ?1
             ORDER BY registered_at_ms DESC, token DESC",
        )?;
        let rows = statement.query_map([user_id.as_str()], |row| {
            let platform: String = row.get(0)?;
            Ok((platform, row.get::<_, String>(1)?))
        })?;
        let mut tokens = Vec::new();
        for row in rows {
            let (platform, token) = row?;
            // A platform this build does not know (written by a newer one) is skipped.
            if let Some(platform) = PushPlatform::parse(&platform) {
                tokens.push(PushToken { platform, token });
            }
        }
        Ok(tokens)
    }
}
