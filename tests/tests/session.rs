//! Session life cycle: typed login errors, a second login on the same device replacing
//! the first, logout, and token refresh through the app's token provider.

use std::sync::Arc;
use std::time::Duration;

use community_e2e::{TestClient, TestResult, TestServer, TokenIssuer, build_client, eventually};
use community_protocol::ErrorCode;
use community_sdk::{Client, ConnectionState, DisconnectReason, SdkError, TokenProvider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_fail_typed_and_nothing_keeps_running() -> TestResult {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let client = build_client(&server.ws_url(), dir.path(), "d1").await?;
    let forged =
        "v1.YWxpY2U.9999999999.0000000000000000000000000000000000000000000000000000000000000000";
    match client.login("alice", forged).await {
        Err(SdkError::Api(error)) => assert_eq!(error.code, ErrorCode::TOKEN_FORGED),
        other => panic!("a forged token was not refused: {other:?}"),
    }
    let bobs = server.token("bob")?;
    match client.login("alice", &bobs).await {
        Err(error) => assert_eq!(
            error.api().map(|e| e.code),
            Some(ErrorCode::TOKEN_USER_MISMATCH)
        ),
        Ok(outcome) => panic!("bob's token logged alice in: {outcome:?}"),
    }
    assert!(
        matches!(client.login("", "x").await, Err(SdkError::Api(e)) if e.code == ErrorCode::INVALID_USER_ID)
    );
    assert!(matches!(
        client.connection_state(),
        ConnectionState::Disconnected { .. }
    ));
    // A correct token works on the same client afterwards.
    client.login("alice", &server.token("alice")?).await?;
    assert_eq!(client.connection_state(), ConnectionState::Connected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_login_on_the_same_device_replaces_the_first() -> TestResult {
    let server = TestServer::start().await?;
    let first = TestClient::login(&server, "carol", "carol-phone").await?;
    let mut states = first.client.subscribe_connection();
    assert_eq!(states.next().await, Some(ConnectionState::Connected));

    let _second = TestClient::login(&server, "carol", "carol-phone").await?;
    let replaced = tokio::time::timeout(community_e2e::WAIT, async {
        while let Some(state) = states.next().await {
            if let ConnectionState::Disconnected { reason } = state {
                return Some(reason);
            }
        }
        None
    })
    .await?;
    assert_eq!(replaced, Some(DisconnectReason::SessionReplaced));
    // No automatic reconnect: calls fail until the app logs in again.
    let result = first.client.community("nowhere").refresh().await;
    assert!(matches!(result, Err(SdkError::NotLoggedIn)), "{result:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_and_forgets_it() -> TestResult {
    let server = TestServer::start().await?;
    let dave = TestClient::login(&server, "dave", "dave-phone").await?;
    dave.client.logout().await?;
    assert_eq!(
        dave.client.connection_state(),
        ConnectionState::Disconnected {
            reason: DisconnectReason::LoggedOut
        }
    );
    assert!(dave.client.user_id().is_none());
    assert!(matches!(
        dave.client.community("x").refresh().await,
        Err(SdkError::NotLoggedIn)
    ));
    // A rebuilt client does not log in by itself after a logout.
    let dir = dave.close().await?;
    let again = build_client(&server.ws_url(), dir.path(), "dave-phone").await?;
    assert!(again.user_id().is_none());
    Ok(())
}

/// Issues fresh tokens the test server accepts and counts the calls.
struct Provider {
    issuer: TokenIssuer,
    calls: std::sync::atomic::AtomicUsize,
    give: bool,
}

impl TokenProvider for Provider {
    fn fetch_token<'a>(&'a self, user_id: &'a str) -> community_sdk::TokenFuture<'a> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let token = self
            .give
            .then(|| self.issuer.issue(user_id, Duration::from_secs(3600)).ok())
            .flatten();
        Box::pin(async move { token })
    }
}

async fn client_with_provider(
    server: &TestServer,
    issuer: &TokenIssuer,
    give: bool,
) -> TestResult<(Client, Arc<Provider>, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let provider = Arc::new(Provider {
        issuer: issuer.clone(),
        calls: Default::default(),
        give,
    });
    let client = Client::builder()
        .server_url(server.ws_url())
        .data_dir(dir.path())
        .device_id("erin-phone")
        .backoff(Duration::from_millis(20), Duration::from_millis(300))
        .token_provider(provider.clone())
        .build()
        .await?;
    Ok((client, provider, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_provider_refreshes_before_expiry() -> TestResult {
    let server = TestServer::start().await?;
    let issuer = server.token_issuer()?;
    let (client, provider, _dir) = client_with_provider(&server, &issuer, true).await?;
    let short = issuer.issue("erin", Duration::from_secs(3))?;
    client.login("erin", &short).await?;
    eventually("the provider was asked for a new token", || {
        provider.calls.load(std::sync::atomic::Ordering::SeqCst) >= 1
    })
    .await?;
    // Well past the first token's expiry the session is still alive and usable.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(client.connection_state(), ConnectionState::Connected);
    client.joined_communities_page(None, None).await?;
    // A manual refresh works too.
    let expires = client.refresh_token(&server.token("erin")?).await?;
    assert!(expires > 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_new_token_the_client_ends_disconnected_token_expired() -> TestResult {
    let server = TestServer::start().await?;
    let issuer = server.token_issuer()?;
    let (client, provider, _dir) = client_with_provider(&server, &issuer, false).await?;
    let short = issuer.issue("erin", Duration::from_secs(2))?;
    client.login("erin", &short).await?;
    eventually("the session ends with token_expired", || {
        client.connection_state()
            == ConnectionState::Disconnected {
                reason: DisconnectReason::TokenExpired,
            }
    })
    .await?;
    assert!(provider.calls.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    Ok(())
}
