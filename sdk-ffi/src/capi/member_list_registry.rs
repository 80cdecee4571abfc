//! Which member list subscription a C client holds per community, kept apart from the C
//! functions so the client can own it without importing them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::error::SdkError;
use crate::member_list::MemberList;

/// A client's followed member lists, by community (the subscription handles own them).
#[derive(Debug, Default)]
pub(crate) struct Registry(Mutex<HashMap<String, Weak<MemberList>>>);

impl Registry {
    pub(super) fn put(&self, community_id: String, list: &Arc<MemberList>) {
        let mut lists = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        lists.retain(|_, list| list.strong_count() > 0);
        lists.insert(community_id, Arc::downgrade(list));
    }

    pub(super) fn get(&self, community_id: &str) -> Result<Arc<MemberList>, SdkError> {
        let lists = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        lists
            .get(community_id)
            .and_then(Weak::upgrade)
            .ok_or_else(|| {
                SdkError::invalid_argument(
                    "no member list subscription of this community (csdk_community_subscribe_member_list)",
                )
            })
    }
}
