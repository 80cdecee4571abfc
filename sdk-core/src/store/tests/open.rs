//! Opening: migrations from nothing, idempotent reopen, refusing what cannot be used.

use super::super::test_support::*;
use super::super::{Store, StoreError, schema};

#[tokio::test]
async fn store_migrates_a_missing_file_and_reopens_idempotently() {
    let temp = temp_store().await;
    temp.store.save_session(session(7)).await.unwrap();
    let temp = temp.reopen().await;
    assert_eq!(temp.store.session().await.unwrap(), Some(session(7)));
    let temp = temp.reopen().await;
    assert_eq!(temp.store.session().await.unwrap(), Some(session(7)));
    let TempStore { store, path, _dir } = temp;
    store.close().await;
    let (version, mode) = raw_pragmas(&path);
    assert_eq!(version, schema::current_version());
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn store_opens_an_empty_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.known_versions().await.unwrap().len(), 0);
    assert_eq!(store.message_count(None).await.unwrap(), 0);
    store.close().await;
    assert_eq!(raw_pragmas(&path).0, schema::current_version());
}

#[tokio::test]
async fn store_refuses_a_schema_from_a_newer_sdk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch("PRAGMA user_version = 999")
            .unwrap();
    }
    let error = Store::open(&path).await.unwrap_err();
    assert_eq!(
        error,
        StoreError::SchemaTooNew {
            found: 999,
            supported: schema::current_version()
        }
    );
}

#[tokio::test]
async fn store_reports_a_garbage_file_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite3");
    std::fs::write(&path, vec![0x5a_u8; 8192]).unwrap();
    let error = Store::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
}

#[tokio::test]
async fn store_reports_an_unopenable_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("cache.sqlite3");
    let error = Store::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
}

#[tokio::test]
async fn store_session_save_update_clear() {
    let temp = temp_store().await;
    let store = &temp.store;
    assert_eq!(store.session().await.unwrap(), None);
    assert!(!store.set_last_event_seq(5).await.unwrap());
    store.save_session(session(1)).await.unwrap();
    assert!(store.set_last_event_seq(99).await.unwrap());
    assert_eq!(store.session().await.unwrap(), Some(session(99)));
    store.clear_session().await.unwrap();
    assert_eq!(store.session().await.unwrap(), None);
}

#[tokio::test]
async fn store_close_of_one_clone_leaves_the_others_working() {
    let temp = temp_store().await;
    let other = temp.store.clone();
    // Not the last handle: close only drops this one.
    temp.store.clone().close().await;
    assert_eq!(other.message_count(None).await.unwrap(), 0);
    drop(other);
    temp.store.close().await;
}

#[test]
fn store_handle_is_clone_send_sync() {
    fn assert_handle<T: Clone + Send + Sync + 'static>() {}
    assert_handle::<Store>();
    assert_handle::<StoreError>();
}
