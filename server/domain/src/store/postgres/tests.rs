//! Tests of the PostgreSQL engine itself, against a throwaway cluster (skipped when
//! PostgreSQL is not installed).

use std::collections::BTreeMap;

use community_protocol::{CommunityInfo, JoinPolicy};

use super::{PgOptions, PgStore};
use crate::store::Store;
use crate::store::pg_test_cluster::shared;

/// A store over a fresh database of the shared cluster; `None` (skip) without PostgreSQL.
pub(crate) fn fresh_store() -> Option<PgStore> {
    let Some(cluster) = shared() else {
        println!("skipped: PostgreSQL not installed");
        return None;
    };
    let database = cluster.create_database().unwrap();
    Some(PgStore::open(&cluster.url(&database), &PgOptions::default()).unwrap())
}

fn community(id: &str) -> CommunityInfo {
    CommunityInfo {
        community_id: id.into(),
        name: "Name".into(),
        avatar_url: String::new(),
        notice: String::new(),
        owner_id: "owner".into(),
        join_policy: JoinPolicy::Approval,
        mute_all: false,
        member_count: 0,
        attributes: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        default_channel_id: "general".into(),
        created_at_ms: 1,
        version: 1,
        system_messages: true,
    }
}

#[test]
fn migrations_run_once_and_reopen_changes_nothing() {
    let Some(cluster) = shared() else {
        println!("skipped: PostgreSQL not installed");
        return;
    };
    let database = cluster.create_database().unwrap();
    let url = cluster.url(&database);
    let first = PgStore::open(&url, &PgOptions::default()).unwrap();
    let again = PgStore::open(&url, &PgOptions::default()).unwrap();
    drop((first, again));
}

#[test]
fn communities_round_trip() {
    let Some(store) = fresh_store() else { return };
    let store: &dyn Store = &store;
    store
        .write("test", |tx| Ok(tx.insert_community(&community("c1"))?))
        .unwrap();
    let read = store
        .read("test", |tx| Ok(tx.community(&"c1".into())?))
        .unwrap();
    assert_eq!(read, Some(community("c1")));
    let ids = store
        .read("test", |tx| Ok(tx.community_ids_after(None, 10)?))
        .unwrap();
    assert_eq!(ids, vec![community_protocol::CommunityId::from("c1")]);
}

#[test]
fn a_failed_body_rolls_back() {
    let Some(store) = fresh_store() else { return };
    let store: &dyn Store = &store;
    let failed = store.write("test", |tx| {
        tx.insert_community(&community("c1"))?;
        Err::<(), _>(community_protocol::ApiError::new(
            community_protocol::ErrorCode::INTERNAL,
            "no",
        ))
    });
    assert!(failed.is_err());
    let read = store
        .read("test", |tx| Ok(tx.community(&"c1".into())?))
        .unwrap();
    assert_eq!(read, None);
}
