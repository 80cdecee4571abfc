//! Search in PostgreSQL: the name lookups of communities and the conversation list are
//! here; the full-text index of messages is not written yet (`search_candidates` answers
//! [`StoreError::NotImplemented`]; the plan — a `tsvector` column maintained in the write
//! transaction with a GIN index, plus trigram or bigram handling for CJK substrings — is
//! in `docs/MULTINODE.md`). With the index kept inside each write there is nothing to
//! work off before a search: [`SearchStore::index_pending`] does nothing.

use community_protocol::{ChannelId, CommunityId, TimestampMs, UserId};

use super::PgTx;
use crate::StoreError;
use crate::store::{MessageSearch, SearchCandidate, SearchStore, StoreResult};

impl SearchStore for PgTx<'_> {
    fn search_candidates(
        &self,
        _search: &MessageSearch<'_>,
        _ceiling: i64,
        _limit: u32,
    ) -> StoreResult<Vec<SearchCandidate>> {
        #[cfg(test)]
        eprintln!("postgres store: not implemented yet: SearchStore::search_candidates");
        Err(StoreError::NotImplemented("SearchStore::search_candidates"))
    }

    fn index_pending(&self) -> StoreResult<()> {
        Ok(())
    }

    fn conversation_ids(&self, user_id: &UserId) -> StoreResult<Vec<ChannelId>> {
        self.ids(
            "SELECT conversation_id FROM conversation_members WHERE user_id = $1
             ORDER BY conversation_id",
            user_id.as_str(),
        )
    }

    fn search_communities(
        &self,
        user_id: &UserId,
        folded: &str,
        now: TimestampMs,
        limit: u32,
    ) -> StoreResult<Vec<CommunityId>> {
        self.ids_with(
            "SELECT community_id FROM (
                SELECT c.community_id, c.name, c.join_policy,
                       EXISTS (SELECT 1 FROM members m
                               WHERE m.community_id = c.community_id AND m.user_id = $1)
                           AS joined,
                       strpos(fold_case(c.name), $2::text) AS at
                  FROM communities c WHERE c.community_id <> '@me') s
             WHERE at > 0
               AND (joined OR (join_policy <> 'invite_only'
                    AND NOT EXISTS (SELECT 1 FROM bans b
                                    WHERE b.community_id = s.community_id AND b.user_id = $1
                                      AND (b.until_ms IS NULL OR b.until_ms > $3))))
             ORDER BY joined DESC, at = 1 DESC, fold_case(name) COLLATE \"C\", community_id
             LIMIT $4",
            &[&user_id.as_str(), &folded, &now, &i64::from(limit)],
        )
    }
}

impl PgTx<'_> {
    /// The first column of every row of `sql`, as typed ids.
    fn ids_with<T: From<String>>(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> StoreResult<Vec<T>> {
        Ok(self
            .query(sql, params)?
            .iter()
            .map(|row| T::from(row.get::<_, String>(0)))
            .collect())
    }
}
