//! Message sequences over the wire: idempotent resend, and gap-free sequences delivered
//! in order under concurrent senders.

mod common;

use common::*;

#[tokio::test]
async fn a_resend_returns_the_same_message_and_stores_it_once() {
    let server = TestServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let guild = create_community(&mut alice, "Guild").await;
    let (id, ch) = (
        guild.info.community_id.clone(),
        guild.info.default_channel_id.clone(),
    );
    bob.ok(join(id.as_str())).await;
    let first = send(&mut alice, &id, &ch, "same-key", "once").await;
    let again = send(&mut alice, &id, &ch, "same-key", "once").await;
    assert_eq!(first, again, "the resend returns the stored message");
    let next = send(&mut alice, &id, &ch, "other-key", "twice").await;
    assert_eq!(next.seq, first.seq + 1);
    let history = all_messages(&mut bob, &id, &ch).await;
    assert_eq!(
        history
            .iter()
            .filter(|m| m.idempotency_key == "same-key")
            .count(),
        1
    );
    // Bob was told about each stored message exactly once.
    let seqs = [bob.next_message().await.seq, bob.next_message().await.seq];
    assert_eq!(seqs, [first.seq, next.seq]);
}

#[tokio::test]
async fn eight_concurrent_senders_get_gap_free_sequences_delivered_in_order() {
    const SENDERS: usize = 8;
    const EACH: usize = 25;
    let server = TestServer::start_with(|c| c.limits.channel_messages_per_second = 100_000).await;
    let mut owner = server.login("owner").await;
    let guild = create_community(&mut owner, "Busy").await;
    let (id, ch) = (
        guild.info.community_id.clone(),
        guild.info.default_channel_id.clone(),
    );
    let mut observer = server.login("observer").await;
    observer.ok(join(id.as_str())).await;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let mut client = server.login(&format!("sender{i}")).await;
        client.ok(join(id.as_str())).await;
        senders.push(client);
    }
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| {
            let (id, ch) = (id.clone(), ch.clone());
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for n in 0..EACH {
                    let message =
                        send(&mut client, &id, &ch, &format!("k{n}"), &format!("{i}/{n}")).await;
                    seqs.push(message.seq);
                }
                seqs
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for task in tasks {
        let seqs = tokio::time::timeout(WAIT * 4, task).await.unwrap().unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's messages keep their order"
        );
        acknowledged.extend(seqs);
    }
    acknowledged.sort_unstable();
    let total = (SENDERS * EACH) as u64;
    assert_eq!(
        acknowledged,
        (1..=total).collect::<Vec<_>>(),
        "every sequence once, no gap"
    );
    // Every member receives them in sequence order, each once.
    let mut received = Vec::new();
    for _ in 0..total {
        let message = observer.next_message().await;
        if message.channel_id == ch {
            received.push(message.seq);
        }
    }
    assert_eq!(received, (1..=total).collect::<Vec<_>>());
    let stored: Vec<u64> = all_messages(&mut observer, &id, &ch)
        .await
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(stored, (1..=total).collect::<Vec<_>>());
}
