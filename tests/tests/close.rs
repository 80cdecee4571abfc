//! `Client::close` really closes: when it returns, every thread of the cache is gone and
//! the data directory can be opened again at once; every later call fails with `closed`.
//! (A test binary of its own: it counts the threads of this process.)

use community_e2e::{TestClient, TestResult, TestServer, build_client, guild};
use community_sdk::{LoginOutcome, codes};

/// Threads of SDK caches alive in this process (named `community-store-…`).
fn store_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|name| name.starts_with("community-store"))
        .count()
}

#[tokio::test]
async fn close_stops_every_task_and_thread_and_the_cache_reopens_at_once() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let (community_id, _) = guild(&alice, "Closing", &[]).await?;
    assert!(store_threads() > 0, "the cache runs its threads");
    let dir = alice.close().await?;
    assert_eq!(
        store_threads(),
        0,
        "close returned with cache threads alive"
    );

    let reopened = build_client(&server.ws_url(), dir.path(), "alice-phone").await?;
    assert!(reopened.community(&community_id).entry().is_some());
    let outcome = reopened.login("alice", &server.token("alice")?).await?;
    assert_eq!(outcome, LoginOutcome::Synced);
    reopened.close().await?;
    reopened.close().await?; // idempotent
    let after = reopened.refresh_token("t").await;
    assert_eq!(after.map_err(|e| e.code()), Err(codes::CLOSED));
    assert!(reopened.communities().is_empty());
    Ok(())
}
