//! Known users, DM policies, blocks, profiles and push tokens in PostgreSQL.
//!
//! A user is known when a login recorded them (`users`) or when they are a member of a
//! community. Policies other than `anyone` are stored; a block is one row per direction.

use std::collections::BTreeMap;

use community_protocol::push::{PushPlatform, PushToken};
use community_protocol::{DmPolicy, Profile, TimestampMs, UserId};

use super::PgTx;
use super::convert::{enum_from, enum_text, json};
use crate::store::{PeopleStore, StoreResult};

impl PgTx<'_> {
    fn exists(&self, sql: &str, a: &str, b: &str) -> StoreResult<bool> {
        Ok(self.query_opt(sql, &[&a, &b])?.is_some())
    }
}

impl PeopleStore for PgTx<'_> {
    fn note_user(&self, user_id: &UserId, at_ms: TimestampMs) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO users (user_id, first_seen_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&user_id.as_str(), &at_ms],
        )?;
        Ok(added > 0)
    }

    fn user_exists(&self, user_id: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM users WHERE user_id = $1)
                 OR EXISTS (SELECT 1 FROM members WHERE user_id = $2)",
            user_id.as_str(),
            user_id.as_str(),
        )
    }

    fn shares_community(&self, a: &UserId, b: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 FROM members x JOIN members y ON y.community_id = x.community_id
              WHERE x.user_id = $1 AND y.user_id = $2 LIMIT 1",
            a.as_str(),
            b.as_str(),
        )
    }

    fn contacts(&self, user_id: &UserId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT y.user_id FROM members x JOIN members y ON y.community_id = x.community_id
              WHERE x.user_id = $1 AND y.user_id <> $1
             UNION
             SELECT y.user_id FROM conversation_members x
               JOIN conversation_members y ON y.conversation_id = x.conversation_id
              WHERE x.user_id = $1 AND y.user_id <> $1
             ORDER BY 1",
            user_id.as_str(),
        )
    }

    fn dm_policy(&self, user_id: &UserId) -> StoreResult<DmPolicy> {
        match self.query_opt(
            "SELECT policy FROM dm_policies WHERE user_id = $1",
            &[&user_id.as_str()],
        )? {
            Some(row) => enum_from(row.get::<_, &str>(0)),
            None => Ok(DmPolicy::Anyone),
        }
    }

    fn set_dm_policy(&self, user_id: &UserId, policy: DmPolicy) -> StoreResult<()> {
        if policy == DmPolicy::Anyone {
            self.execute(
                "DELETE FROM dm_policies WHERE user_id = $1",
                &[&user_id.as_str()],
            )?;
        } else {
            self.execute(
                "INSERT INTO dm_policies (user_id, policy) VALUES ($1, $2)
                 ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy",
                &[&user_id.as_str(), &enum_text(&policy)?],
            )?;
        }
        Ok(())
    }

    fn block(&self, blocker: &UserId, blocked: &UserId, at_ms: TimestampMs) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO blocks (blocker_id, blocked_id, at_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&blocker.as_str(), &blocked.as_str(), &at_ms],
        )?;
        Ok(added > 0)
    }

    fn unblock(&self, blocker: &UserId, blocked: &UserId) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
            &[&blocker.as_str(), &blocked.as_str()],
        )?;
        Ok(removed > 0)
    }

    fn blocked_by(&self, blocker: &UserId) -> StoreResult<Vec<UserId>> {
        self.ids(
            "SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY blocked_id",
            blocker.as_str(),
        )
    }

    fn blocks_between(&self, a: &UserId, b: &UserId) -> StoreResult<bool> {
        self.exists(
            "SELECT 1 FROM blocks
              WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)
              LIMIT 1",
            a.as_str(),
            b.as_str(),
        )
    }

    fn profile(&self, user_id: &UserId) -> StoreResult<Option<Profile>> {
        let Some(row) = self.query_opt(
            "SELECT display_name, avatar_url, fields::text, updated_at_ms FROM profiles
             WHERE user_id = $1",
            &[&user_id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let fields: BTreeMap<String, String> = json(row.get::<_, &str>(2))?;
        Ok(Some(Profile {
            user_id: user_id.to_owned(),
            display_name: row.get(0),
            avatar_url: row.get(1),
            fields,
            updated_at_ms: row.get(3),
        }))
    }

    fn put_profile(&self, profile: &Profile) -> StoreResult<()> {
        self.execute(
            "INSERT INTO profiles (user_id, display_name, avatar_url, fields, updated_at_ms)
             VALUES ($1, $2, $3, $4::text::jsonb, $5)
             ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
                    avatar_url = excluded.avatar_url, fields = excluded.fields,
                    updated_at_ms = excluded.updated_at_ms",
            &[
                &profile.user_id.as_str(),
                &profile.display_name,
                &profile.avatar_url,
                &serde_json::to_string(&profile.fields)?,
                &profile.updated_at_ms,
            ],
        )?;
        Ok(())
    }

    fn put_push_token(
        &self,
        user_id: &UserId,
        token: &PushToken,
        at_ms: TimestampMs,
        keep: usize,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO push_tokens (token, user_id, platform, registered_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (token) DO UPDATE SET user_id = excluded.user_id,
                    platform = excluded.platform,
                    registered_at_ms = excluded.registered_at_ms",
            &[
                &token.token,
                &user_id.as_str(),
                &token.platform.as_str(),
                &at_ms,
            ],
        )?;
        // Least recent first past `keep` (ties: the token's text, so the choice is stable).
        self.execute(
            "DELETE FROM push_tokens WHERE user_id = $1 AND token NOT IN (
                 SELECT token FROM push_tokens WHERE user_id = $1
                 ORDER BY registered_at_ms DESC, token DESC LIMIT $2)",
            &[&user_id.as_str(), &i64::try_from(keep).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    fn delete_push_token(&self, user_id: &UserId, token: &str) -> StoreResult<bool> {
        Ok(self.execute(
            "DELETE FROM push_tokens WHERE user_id = $1 AND token = $2",
            &[&user_id.as_str(), &token],
        )? > 0)
    }

    fn push_tokens(&self, user_id: &UserId) -> StoreResult<Vec<PushToken>> {
        let rows = self.query(
            "SELECT platform, token FROM push_tokens WHERE user_id = $1
             ORDER BY registered_at_ms DESC, token DESC",
            &[&user_id.as_str()],
        )?;
        // A platform this build does not know (written by a newer one) is skipped.
        Ok(rows
            .iter()
            .filter_map(|row| {
                PushPlatform::parse(row.get::<_, &str>(0)).map(|platform| PushToken {
                    platform,
                    token: row.get(1),
                })
            })
            .collect())
    }
}
