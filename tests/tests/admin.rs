//! The admin HTTP API seen through the SDK: a message the app's backend posts (as the
//! system and as a user) lands in an SDK client's timeline, and members it imports show
//! up in the clients' caches (the imported user's community list, the member count). In
//! cluster mode each call goes to the next node (`TestServer::addr`), so a post made on
//! one node reaches clients on the other.

use std::net::SocketAddr;
use std::time::Duration;

use community_e2e::{TestClient, TestResult, TestServer, eventually, fail, guild, shows, until};
use community_protocol::MessageContent;
use community_sdk::MessageUpdate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One admin call (HTTP/1.1, `Connection: close`): the status and the body's text.
async fn admin_call(
    addr: SocketAddr,
    key: &str,
    path: &str,
    body: &str,
) -> TestResult<(u16, String)> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(15), exchange).await??;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_posts_and_imports_reach_the_sdk_caches() -> TestResult {
    let server = TestServer::start().await?;
    let key = server.admin_key()?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Backed", &[]).await?;
    let mut timeline = shows(&alice, &community_id, &general).await?;

    // Import bob (online) and carol (not yet): bob's cache gets the community, alice's
    // sees the member count grow.
    let path = format!("/admin/v1/communities/{community_id}/members/import");
    let (status, body) = admin_call(
        server.addr(),
        &key,
        &path,
        r#"{"user_ids":["bob","carol","alice"]}"#,
    )
    .await?;
    if status != 200 || !body.contains(r#""added":["bob","carol"]"#) {
        return fail(format!("import answered {status} {body}"));
    }
    eventually("bob's cache holds the imported community", || {
        bob.client.community(&community_id).entry().is_some()
    })
    .await?;
    eventually("alice's cache counts the imported members", || {
        alice
            .client
            .community(&community_id)
            .entry()
            .is_some_and(|entry| entry.info.member_count == 3)
    })
    .await?;

    // A system post and a post as bob, both in alice's timeline.
    let path = format!("/admin/v1/communities/{community_id}/channels/{general}/messages");
    let (status, body) = admin_call(
        server.addr(),
        &key,
        &path,
        r#"{"text":"welcome from the app"}"#,
    )
    .await?;
    if status != 200 {
        return fail(format!("system post answered {status} {body}"));
    }
    until(&mut timeline, "the system message is in alice's timeline", |updates| {
        updates.iter().any(|u| matches!(u, MessageUpdate::Inserted(m)
            if matches!(&m.content, MessageContent::System { text, .. } if text == "welcome from the app")))
    })
    .await?;
    let as_bob = r#"{"sender_id":"bob","idempotency_key":"admin-1","content":{"type":"text","text":"posted for bob"}}"#;
    let (status, body) = admin_call(server.addr(), &key, &path, as_bob).await?;
    if status != 200 {
        return fail(format!("post as bob answered {status} {body}"));
    }
    until(&mut timeline, "bob's message is in alice's timeline", |updates| {
        updates.iter().any(|u| matches!(u, MessageUpdate::Inserted(m)
            if m.sender_id == "bob" && matches!(&m.content, MessageContent::Text { text } if text == "posted for bob")))
    })
    .await?;

    // carol logs in later: the imported community is in her cache.
    let carol = TestClient::login(&server, "carol", "carol-phone").await?;
    eventually("carol's cache holds the imported community", || {
        carol.client.community(&community_id).entry().is_some()
    })
    .await?;
    Ok(())
}
