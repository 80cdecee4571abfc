//! Permission overrides of channels and categories in SQLite: one row per (scope, target),
//! the target being a group or a member. An override with nothing allowed and nothing
//! denied is not stored (setting one removes the row).

use community_protocol::{CategoryId, ChannelId, Override, OverrideTarget};
use rusqlite::{Row, params};

use super::SqliteTx;
use super::convert::{bits, flags};
use crate::StoreError;
use crate::store::{OverrideStore, StoreResult};

/// `target_kind` of an override for a group.
const GROUP: &str = "group";
/// `target_kind` of an override for a member.
const MEMBER: &str = "member";

/// The stored kind and id of an override's target.
pub(super) fn target_columns(target: &OverrideTarget) -> (&'static str, &str) {
    match target {
        OverrideTarget::Group { group_id } => (GROUP, group_id.as_str()),
        OverrideTarget::Member { user_id } => (MEMBER, user_id.as_str()),
    }
}

/// An override from `target_kind, target_id, allow, deny` starting at column `at`.
pub(super) fn override_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Override> {
    let kind: String = row.get(at)?;
    let target_id: String = row.get(at + 1)?;
    let target = match kind.as_str() {
        GROUP => OverrideTarget::Group {
            group_id: target_id.into(),
        },
        MEMBER => OverrideTarget::Member {
            user_id: target_id.into(),
        },
        other => {
            return Err(super::convert::in_row(StoreError::Corrupt(format!(
                "unknown override target kind {other:?}"
            ))));
        }
    };
    Ok(Override {
        target,
        allow: flags(row.get(at + 2)?),
        deny: flags(row.get(at + 3)?),
    })
}

impl SqliteTx<'_> {
    fn overrides_of(&self, table: &str, key: &str, scope_id: &str) -> StoreResult<Vec<Override>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT target_kind, target_id, allow, deny FROM {table} WHERE {key} = ?1
             ORDER BY target_kind, target_id"
        ))?;
        let rows = statement.query_map([scope_id], |row| override_from_row(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_override(
        &self,
        table: &str,
        key: &str,
        scope_id: &str,
        rule: &Override,
    ) -> StoreResult<()> {
        let (kind, target_id) = target_columns(&rule.target);
        if rule.allow.is_empty() && rule.deny.is_empty() {
            self.conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE {key} = ?1 AND target_kind = ?2 AND target_id = ?3"
                ))?
                .execute(params![scope_id, kind, target_id])?;
        } else {
            self.conn
                .prepare_cached(&format!(
                    "INSERT INTO {table} ({key}, target_kind, target_id, allow, deny)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT ({key}, target_kind, target_id)
                     DO UPDATE SET allow = excluded.allow, deny = excluded.deny"
                ))?
                .execute(params![
                    scope_id,
                    kind,
                    target_id,
                    bits(rule.allow),
                    bits(rule.deny)
                ])?;
        }
        Ok(())
    }
}

impl OverrideStore for SqliteTx<'_> {
    fn channel_overrides(&self, channel_id: &ChannelId) -> StoreResult<Vec<Override>> {
        self.overrides_of("channel_overrides", "channel_id", channel_id.as_str())
    }

    fn set_channel_override(&self, channel_id: &ChannelId, rule: &Override) -> StoreResult<()> {
        self.set_override("channel_overrides", "channel_id", channel_id.as_str(), rule)
    }

    fn category_overrides(&self, category_id: &CategoryId) -> StoreResult<Vec<Override>> {
        self.overrides_of("category_overrides", "category_id", category_id.as_str())
    }

    fn set_category_override(&self, category_id: &CategoryId, rule: &Override) -> StoreResult<()> {
        self.set_override(
            "category_overrides",
            "category_id",
            category_id.as_str(),
            rule,
        )
    }
}
