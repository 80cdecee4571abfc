//! A server whose events arrive damaged: one `message_created` and one `channel_updated`
//! that do not decode. The SDK must not treat them as "a kind from a newer server" and
//! skip them silently: it logs them and re-syncs, so the message and the channel's new
//! state still reach the cache and the timeline.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use community_e2e::{
    FrameProxy, TestClient, TestResult, TestServer, Verdict, build_client, eventually, guild, until,
};
use community_sdk::{ChannelUpdate, MessageUpdate, SyncState};

/// Replaces `from` by `to` in the first server frame that contains both `marker` and
/// `from`.
fn damage_once(
    marker: &'static str,
    from: &'static str,
    to: &'static str,
) -> impl Fn(&str) -> Option<String> {
    let done = AtomicBool::new(false);
    move |text: &str| {
        if text.contains(marker) && text.contains(from) && !done.swap(true, Ordering::SeqCst) {
            Some(text.replacen(from, to, 1))
        } else {
            None
        }
    }
}

#[tokio::test]
async fn damaged_events_are_recovered_by_a_resync() -> TestResult {
    community_e2e::init_tracing();
    let server = TestServer::start().await?;
    let message = damage_once(
        r#""kind":"message_created""#,
        r#""text":"three""#,
        r#""text":3"#,
    );
    let channel = damage_once(
        r#""kind":"channel_updated""#,
        r#""name":"renamed""#,
        r#""name":42"#,
    );
    let proxy = FrameProxy::start(
        server.ws_url(),
        Arc::new(
            move |text: &str| match message(text).or_else(|| channel(text)) {
                Some(damaged) => Verdict::Replace(damaged),
                None => Verdict::Pass,
            },
        ),
    )
    .await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login_at(&server, &proxy.ws_url(), "bob", "bob-phone").await?;
    let (community_id, general) = guild(&alice, "Damaged", &[&bob]).await?;

    let bob_general = bob.client.community(&community_id).channel(&general);
    let mut timeline = bob_general.subscribe_messages().await?;
    let alice_general = alice.client.community(&community_id).channel(&general);
    for text in ["one", "two", "three", "four", "five"] {
        alice_general.send_text(text).await?.sent().await?;
    }
    alice_general
        .update(ChannelUpdate {
            name: Some("renamed".into()),
            ..ChannelUpdate::default()
        })
        .await?;
    alice_general.send_text("six").await?.sent().await?;

    // Every message reaches bob's timeline (the damaged one through the re-sync's
    // catch-up), each once.
    let mut seen = BTreeSet::new();
    until(
        &mut timeline,
        "bob's timeline holds messages 1 to 6",
        |updates| {
            for update in updates {
                match update {
                    MessageUpdate::Reset { messages, .. } => {
                        seen.extend(messages.iter().map(|m| m.seq));
                    }
                    MessageUpdate::Inserted(message) => {
                        seen.insert(message.seq);
                    }
                    _ => {}
                }
            }
            seen == (1..=6).collect()
        },
    )
    .await?;
    assert_eq!(proxy.changed(), 2, "both events were damaged on the way");
    eventually("bob's channel has its new name and exact counts", || {
        bob_general
            .entry()
            .is_some_and(|e| e.info.name == "renamed" && e.head.last_seq == 6)
            && bob_general.unread().is_some_and(|u| u.unread_count == 6)
    })
    .await?;
    eventually("bob is caught up again", || {
        bob.client.sync_state() == SyncState::CaughtUp
    })
    .await?;
    // The cache itself holds all six: read offline, where no hole can be filled from
    // the server.
    let dir = bob.close().await?;
    let offline = build_client(&server.ws_url(), dir.path(), "bob-phone").await?;
    let cached = offline
        .community(&community_id)
        .channel(&general)
        .messages(None, 10)
        .await?;
    let seqs: Vec<u64> = cached.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
    offline.close().await?;
    Ok(())
}
