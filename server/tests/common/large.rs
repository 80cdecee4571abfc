//! Helpers of the large-community tests (`tests/large.rs`, `tests/member_list.rs`): a
//! server where more than 3 members make a community large, a community of raw clients,
//! `focus` and member list requests, and event predicates.

use community_protocol::focus::{Focus, Focused};
use community_protocol::member_list::{ListRange, MemberList, SubscribeMemberList};
use community_protocol::request::*;
use community_protocol::*;

use super::*;

/// A server where communities of more than 3 members are large.
pub async fn server() -> TestServer {
    TestServer::start_with(|config| {
        config.limits.large_community_members = 3;
        config.limits.activity_interval_ms = 200;
        config.limits.channel_messages_per_second = 100_000;
    })
    .await
}

/// `alice` creates a community (system messages as asked) that `others` join; returns
/// the logged-in clients (alice first), the community and its default channel.
pub async fn community(
    server: &TestServer,
    others: &[&str],
    system_messages: bool,
) -> (Vec<Client>, CommunityId, ChannelId) {
    let mut alice = server.login("alice").await;
    let snapshot = match alice
        .ok(Request::CreateCommunity(CreateCommunity {
            name: "big".into(),
            system_messages: Some(system_messages),
            ..Default::default()
        }))
        .await
    {
        Response::Community(snapshot) => snapshot,
        other => panic!("unexpected {other:?}"),
    };
    let community = snapshot.info.community_id.clone();
    let channel = snapshot.info.default_channel_id.clone();
    let mut clients = vec![alice];
    for user in others {
        let mut client = server.login(user).await;
        client.ok(join(community.as_str())).await;
        clients.push(client);
    }
    (clients, community, channel)
}

pub fn focus(community: &CommunityId, channel: &ChannelId) -> Request {
    Request::Focus(Focus {
        community_id: Some(community.clone()),
        channel_id: Some(channel.clone()),
    })
}

pub fn unfocus() -> Request {
    Request::Focus(Focus::default())
}

pub async fn focused(client: &mut Client, request: Request) -> Option<ChannelHead> {
    match client.ok(request).await {
        Response::Focused(Focused { head }) => head,
        other => panic!("unexpected {other:?}"),
    }
}

pub fn mentioning(
    community: &CommunityId,
    channel: &ChannelId,
    key: &str,
    mentions: Mentions,
) -> Request {
    Request::SendMessage(SendMessage {
        community_id: community.clone(),
        channel_id: channel.clone(),
        idempotency_key: key.into(),
        content: MessageContent::Text { text: key.into() },
        mentions,
        reply_to: None,
        priority: Priority::Normal,
        custom_data: String::new(),
        forward_of: None,
    })
}

pub async fn head_of(
    client: &mut Client,
    community: &CommunityId,
    channel: &ChannelId,
) -> ChannelHead {
    match client
        .ok(Request::GetHeads(community_ref(community.as_str())))
        .await
    {
        Response::Heads(heads) => heads
            .heads
            .into_iter()
            .find(|h| h.channel_id == *channel)
            .expect("a head for the channel"),
        other => panic!("unexpected {other:?}"),
    }
}

/// The events up to and including the first that matches.
pub async fn events_until(client: &mut Client, mut last: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let (_, event) = client.next_event().await;
        let done = last(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
    panic!("no matching event among 10,000");
}

pub fn is_message(event: &Event, seq: u64) -> bool {
    matches!(event, Event::MessageCreated { message } if message.seq == seq)
}

pub fn activity_up_to(event: &Event, channel: &ChannelId, seq: u64) -> bool {
    matches!(event, Event::ChannelActivity { channel_id, last_seq, .. }
        if channel_id == channel && *last_seq >= seq)
}

pub fn subscribe(community: &CommunityId, ranges: &[(u32, u32)]) -> Request {
    Request::SubscribeMemberList(SubscribeMemberList {
        community_id: community.clone(),
        ranges: ranges.iter().map(|(s, e)| ListRange::new(*s, *e)).collect(),
    })
}

pub async fn member_list(client: &mut Client, request: Request) -> MemberList {
    match client.ok(request).await {
        Response::MemberList(list) => list,
        other => panic!("unexpected {other:?}"),
    }
}
