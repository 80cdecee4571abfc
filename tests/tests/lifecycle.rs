//! The client's life as an app holds it: `login` answers exactly (synced, explicitly
//! offline, or an error — never a silent partial), and every reconnect ends in a visible
//! `CaughtUp`, also across short server restarts.

use std::sync::Arc;
use std::time::Duration;

use community_e2e::{
    FrameProxy, TestClient, TestResult, TestServer, Verdict, connected, eventually, guild,
    test_builder,
};
use community_sdk::{ConnectionState, LoginOutcome, SyncState, codes};

/// A proxy that never lets a `sync` answer through.
async fn sync_swallower(server: &TestServer) -> TestResult<FrameProxy> {
    Ok(FrameProxy::start(
        server.ws_url(),
        Arc::new(|text: &str| {
            if text.contains(r#""kind":"synced""#) {
                Verdict::Drop
            } else {
                Verdict::Pass
            }
        }),
    )
    .await?)
}

#[tokio::test]
async fn login_answers_synced_offline_or_an_error_never_a_silent_partial() -> TestResult {
    let mut server = TestServer::start().await?;
    let proxy = sync_swallower(&server).await?;

    // A fresh device that cannot get synced in time: an error, and nothing left running.
    let dir = tempfile::tempdir()?;
    let fresh = test_builder(&proxy.ws_url(), dir.path(), "carol-phone")
        .request_timeout(Duration::from_millis(300))
        .login_timeout(Duration::from_secs(2))
        .build()
        .await?;
    let refused = fresh.login("carol", &server.token("carol")?).await;
    assert_eq!(refused.map_err(|e| e.code()), Err(codes::TIMED_OUT));
    assert!(matches!(
        fresh.connection_state(),
        ConnectionState::Disconnected { .. }
    ));
    fresh.close().await?;

    // A device with a saved session: it says so, explicitly, and keeps its cache.
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, _) = guild(&bob, "Saved", &[]).await?;
    let dir = bob.close().await?;
    server.restart().await?; // sessions are not resumable across a restart: a sync is due
    let again = test_builder(&proxy.ws_url(), dir.path(), "bob-phone")
        .request_timeout(Duration::from_millis(300))
        .login_timeout(Duration::from_secs(2))
        .build()
        .await?;
    let outcome = again.login("bob", &server.token("bob")?).await?;
    assert_eq!(outcome, LoginOutcome::Offline);
    assert_ne!(again.sync_state(), SyncState::CaughtUp);
    assert!(again.community(&community_id).entry().is_some());
    again.close().await?;
    Ok(())
}

#[tokio::test]
async fn every_login_and_reconnect_ends_caught_up() -> TestResult {
    let mut server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    guild(&alice, "Caught", &[]).await?;
    let mut states = alice.client.subscribe_sync_state();
    let first = states.next().await;
    assert_eq!(
        first,
        Some(SyncState::CaughtUp),
        "login returned before catching up"
    );

    server.restart().await?;
    let mut seen = Vec::new();
    while seen.last() != Some(&SyncState::CaughtUp) || seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(20), states.next()).await? {
            Some(state) => seen.push(state),
            None => break,
        }
    }
    assert_eq!(seen.first(), Some(&SyncState::Offline), "{seen:?}");
    assert_eq!(seen.last(), Some(&SyncState::CaughtUp), "{seen:?}");
    connected(&alice.client).await?;
    Ok(())
}

/// Twelve short server restarts (each down for a moment): after every one, every client
/// is connected and caught up again. How long that takes is measured by the
/// `restart_bench` program (docs/BENCHMARKS.md), not asserted here.
#[tokio::test]
async fn twelve_short_restarts_bring_every_client_back_each_time() -> TestResult {
    let mut server = TestServer::start().await?;
    let mut clients = Vec::new();
    for name in ["alice", "bob", "carol"] {
        clients.push(TestClient::login(&server, name, &format!("{name}-phone")).await?);
    }
    for round in 0..12u64 {
        server.kill().await?;
        tokio::time::sleep(Duration::from_millis(50 * (round % 4))).await;
        server.start_again().await?;
        for client in &clients {
            eventually("a client is back after a restart", || {
                client.client.connection_state() == ConnectionState::Connected
                    && client.client.sync_state() == SyncState::CaughtUp
            })
            .await?;
        }
    }
    Ok(())
}
