//! Permission overrides of channels and categories in PostgreSQL: one row per (scope,
//! target), the target being a group or a member. An override with nothing allowed and
//! nothing denied is not stored (setting one removes the row).

use community_protocol::{CategoryId, ChannelId, Override, OverrideTarget, Permissions};
use postgres::Row;

use super::PgTx;
use crate::StoreError;
use crate::store::{OverrideStore, StoreResult};

const GROUP: &str = "group";
const MEMBER: &str = "member";

/// Reads permission flags stored bit-for-bit in a `BIGINT`.
pub(super) fn flags(value: i64) -> Permissions {
    Permissions(u64::from_ne_bytes(value.to_ne_bytes()))
}

/// Writes permission flags bit-for-bit into a `BIGINT`.
pub(super) fn bits(flags: Permissions) -> i64 {
    i64::from_ne_bytes(flags.0.to_ne_bytes())
}

fn target_columns(target: &OverrideTarget) -> (&'static str, &str) {
    match target {
        OverrideTarget::Group { group_id } => (GROUP, group_id.as_str()),
        OverrideTarget::Member { user_id } => (MEMBER, user_id.as_str()),
    }
}

/// The override in columns `at..at + 4` (kind, target, allow, deny).
pub(super) fn override_from_row(row: &Row, at: usize) -> Result<Override, StoreError> {
    let kind: &str = row.get(at);
    let target_id: String = row.get(at + 1);
    let target = match kind {
        GROUP => OverrideTarget::Group {
            group_id: target_id.into(),
        },
        MEMBER => OverrideTarget::Member {
            user_id: target_id.into(),
        },
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown override target kind {other:?}"
            )));
        }
    };
    Ok(Override {
        target,
        allow: flags(row.get(at + 2)),
        deny: flags(row.get(at + 3)),
    })
}

impl PgTx<'_> {
    fn overrides_of(&self, table: &str, key: &str, scope_id: &str) -> StoreResult<Vec<Override>> {
        self.query(
            &format!(
                "SELECT target_kind, target_id, allow, deny FROM {table} WHERE {key} = $1
                 ORDER BY target_kind, target_id"
            ),
            &[&scope_id],
        )?
        .iter()
        .map(|row| override_from_row(row, 0))
        .collect()
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
            self.execute(
                &format!(
                    "DELETE FROM {table} WHERE {key} = $1 AND target_kind = $2 AND target_id = $3"
                ),
                &[&scope_id, &kind, &target_id],
            )?;
        } else {
            self.execute(
                &format!(
                    "INSERT INTO {table} ({key}, target_kind, target_id, allow, deny)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT ({key}, target_kind, target_id)
                     DO UPDATE SET allow = excluded.allow, deny = excluded.deny"
                ),
                &[
                    &scope_id,
                    &kind,
                    &target_id,
                    &bits(rule.allow),
                    &bits(rule.deny),
                ],
            )?;
        }
        Ok(())
    }
}

impl OverrideStore for PgTx<'_> {
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
