//! Fan-out under a flood: writes coalesced under load still deliver every event, each
//! once, in order, to every member; and a flood in one community does not keep another
//! community's members from getting their events.

mod common;

use common::*;
use community_protocol::{Event, MessageContent};

/// Messages in the flood.
const FLOOD: u64 = 300;

#[tokio::test]
async fn a_pipelined_flood_reaches_every_member_complete_and_in_order() {
    let server = TestServer::start_with(|c| c.limits.channel_messages_per_second = 100_000).await;
    let mut owner = server.login("owner").await;
    let guild = create_community(&mut owner, "Flood").await;
    let (id, ch) = (
        guild.info.community_id.clone(),
        guild.info.default_channel_id.clone(),
    );
    let mut members = Vec::new();
    for i in 0..12 {
        let mut member = server.login(&format!("m{i}")).await;
        member.ok(join(id.as_str())).await;
        members.push(member);
    }
    // Sent back to back without waiting: the members' writers fall behind and write
    // what piled up together.
    let mut ids = Vec::new();
    for n in 0..FLOOD {
        let request = send_text(id.as_str(), ch.as_str(), &format!("k{n}"), &format!("{n}"));
        ids.push(owner.send_request(request).await);
    }
    for request in ids {
        owner.response(request).await.expect("sent");
    }
    for member in &mut members {
        // `next_message` checks that the session's event sequence has no gap or repeat.
        let mut seqs = Vec::new();
        for _ in 0..FLOOD {
            let message = member.next_message().await;
            let expected = seqs.len().to_string();
            assert!(
                matches!(&message.content, MessageContent::Text { text } if *text == expected),
                "message {expected} in the order sent"
            );
            seqs.push(message.seq);
        }
        assert_eq!(seqs, (1..=FLOOD).collect::<Vec<_>>(), "channel order");
    }
}

#[tokio::test]
async fn a_flood_in_one_community_leaves_another_served() {
    let server = TestServer::start_with(|c| c.limits.channel_messages_per_second = 100_000).await;
    let mut flooder = server.login("flooder").await;
    let busy = create_community(&mut flooder, "Busy").await;
    let mut quiet_owner = server.login("quiet").await;
    let calm = create_community(&mut quiet_owner, "Calm").await;
    let mut reader = server.login("reader").await;
    reader.ok(join(busy.info.community_id.as_str())).await;
    reader.ok(join(calm.info.community_id.as_str())).await;
    let (busy_id, busy_ch) = (&busy.info.community_id, &busy.info.default_channel_id);
    let (calm_id, calm_ch) = (&calm.info.community_id, &calm.info.default_channel_id);
    let mut ids = Vec::new();
    for n in 0..FLOOD {
        let request = send_text(busy_id.as_str(), busy_ch.as_str(), &format!("k{n}"), "x");
        ids.push(flooder.send_request(request).await);
    }
    // While the flood is being handled, the other community's send is answered and
    // reaches its member.
    let calm_message = send(&mut quiet_owner, calm_id, calm_ch, "calm", "hello").await;
    let calm_event = |e: &Event| matches!(e, Event::MessageCreated { message } if message.community_id == *calm_id);
    let got = reader.event_where(calm_event).await;
    assert!(matches!(got, Event::MessageCreated { message } if message.seq == calm_message.seq));
    for request in ids {
        flooder.response(request).await.expect("sent");
    }
}
