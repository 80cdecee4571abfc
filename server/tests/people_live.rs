//! Presence, typing and voice state over the wire, against a real server: who is online
//! across devices and connections (a short configured presence grace, and a short
//! heartbeat where a silent connection must time out), invisible, subscription limits,
//! the viewed community, typing (who hears it, its rate and coalescing, where it is
//! refused, that it leaves no trace), voice seats and their clean-up. Every wait is
//! bounded; nothing asserts on timing figures.

mod common;

use std::time::{Duration, Instant};

use common::*;
use community_protocol::request::{
    ChannelRef, CreateChannel, CreateThread, GetChanges, MuteMember, PageQuery, SetPresence,
    UpdateThread, UserIds, ViewCommunity,
};
use community_protocol::response::{ChangesPage, Heads, MessagesPage, ViewedCommunity};
use community_protocol::*;
use community_server::ServerConfig;

/// The presence grace of these tests.
const GRACE: Duration = Duration::from_millis(300);

fn quick(config: &mut ServerConfig) {
    config.presence_grace = GRACE;
}

/// Logs `user` in on `device` with a fresh session.
async fn device(server: &TestServer, user: &str, device: &str) -> Client {
    let mut client = Client::connect(&server.url()).await;
    client.hello().await;
    client
        .login_ok(user, &server.token(user), device, None)
        .await;
    client
}

/// A community of `owner` that `members` joined; its id and default channel.
async fn community(owner: &mut Client, members: &mut [&mut Client]) -> (CommunityId, ChannelId) {
    let snapshot = create_community(owner, "People").await;
    let id = snapshot.info.community_id.clone();
    for member in members.iter_mut() {
        member.ok(join(id.as_str())).await;
    }
    (id, snapshot.info.default_channel_id)
}

/// Two round trips: every event pushed to the client's session before the first is
/// read (buffered) when this returns.
async fn fence(client: &mut Client) {
    for _ in 0..2 {
        client
            .ok(Request::ListJoinedCommunities(PageQuery::default()))
            .await;
    }
}

/// Takes the buffered events that match.
fn take_buffered(client: &mut Client, matches: impl Fn(&Event) -> bool) -> Vec<Event> {
    let (taken, kept): (Vec<_>, Vec<_>) = client.events.drain(..).partition(|(_, e)| matches(e));
    client.events = kept.into();
    taken.into_iter().map(|(_, e)| e).collect()
}

/// The next event that matches, within `within`.
async fn expect(client: &mut Client, within: Duration, matches: impl Fn(&Event) -> bool) -> Event {
    if let Some(found) = take_buffered(client, &matches).into_iter().next() {
        return found;
    }
    tokio::time::timeout(within, client.event_where(matches))
        .await
        .expect("the event in time")
}

/// Like [`expect`], sending heartbeats while waiting (for servers with a short heartbeat).
async fn expect_beating(
    client: &mut Client,
    within: Duration,
    matches: impl Fn(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = take_buffered(client, &matches).into_iter().next() {
            return found;
        }
        assert!(Instant::now() < deadline, "no matching event in time");
        let last_event_seq = client.last_event_seq;
        client
            .send_frame(&ClientFrame::Heartbeat { last_event_seq })
            .await;
        let ack = client.next_non_event().await;
        assert!(
            matches!(ack, Some(ServerFrame::HeartbeatAck { .. })),
            "{ack:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn presence_of(user: &'static str) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::PresenceChanged { presence } if presence.user_id.as_str() == user)
}

fn status_of(event: &Event) -> (PresenceStatus, String, Option<TimestampMs>) {
    match event {
        Event::PresenceChanged { presence } => (
            presence.status,
            presence.text.clone(),
            presence.last_seen_ms,
        ),
        other => panic!("not a presence: {other:?}"),
    }
}

fn subscribe(users: &[&str]) -> Request {
    Request::SubscribePresence(UserIds {
        user_ids: users.iter().map(|u| (*u).into()).collect(),
    })
}

async fn presences(client: &mut Client, users: &[&str]) -> Vec<Presence> {
    match client.ok(subscribe(users)).await {
        Response::Presences(list) => list.presences,
        other => panic!("unexpected {other:?}"),
    }
}

fn set_presence(status: PresenceStatus, text: &str) -> Request {
    Request::SetPresence(SetPresence {
        status,
        text: text.into(),
    })
}

#[tokio::test]
async fn a_user_is_online_while_any_device_is_and_offline_after_the_last() {
    let server = TestServer::start_with(quick).await;
    let phone = device(&server, "ann", "phone").await;
    let laptop = device(&server, "ann", "laptop").await;
    let mut watcher = server.login("wes").await;
    let now = presences(&mut watcher, &["ann", "nobody"]).await;
    assert_eq!(now[0].status, PresenceStatus::Online);
    assert_eq!(now[1].status, PresenceStatus::Offline);
    assert_eq!(now[1].last_seen_ms, None, "never seen");
    // One device leaves: still online, nothing to tell (well past the grace).
    phone.close().await;
    tokio::time::sleep(GRACE * 3).await;
    fence(&mut watcher).await;
    assert!(take_buffered(&mut watcher, presence_of("ann")).is_empty());
    assert_eq!(
        presences(&mut watcher, &["ann"]).await[0].status,
        PresenceStatus::Online
    );
    // The last one leaves: offline once the grace is over.
    let before = auth_now_ms();
    laptop.close().await;
    let event = expect(&mut watcher, Duration::from_secs(5), presence_of("ann")).await;
    let (status, text, last_seen) = status_of(&event);
    assert_eq!((status, text.as_str()), (PresenceStatus::Offline, ""));
    assert!(last_seen.is_some_and(|at| at >= before), "{last_seen:?}");
    // Back: online again (a new session, the status starts over).
    let _again = device(&server, "ann", "phone").await;
    let event = expect(&mut watcher, Duration::from_secs(5), presence_of("ann")).await;
    assert_eq!(status_of(&event).0, PresenceStatus::Online);
}

fn auth_now_ms() -> TimestampMs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test]
async fn a_silent_connection_goes_offline_after_the_heartbeat_timeout_and_leaves_voice() {
    let server = TestServer::start_with(|c| {
        c.heartbeat_interval = Duration::from_millis(600);
        c.presence_grace = GRACE;
    })
    .await;
    let mut silent = server.login("sid").await;
    let mut watcher = server.login("wes").await;
    let (id, _) = community(&mut watcher, &mut [&mut silent]).await;
    let lounge = voice_channel(&mut watcher, &id, "lounge").await;
    silent.ok(join_voice(&id, &lounge)).await;
    assert_eq!(
        presences(&mut watcher, &["sid"]).await[0].status,
        PresenceStatus::Online
    );
    // `silent` sends nothing more: after 2 × 600 ms the server closes it.
    let event = expect_beating(&mut watcher, Duration::from_secs(8), presence_of("sid")).await;
    assert_eq!(status_of(&event).0, PresenceStatus::Offline);
    let left = expect_beating(
        &mut watcher,
        Duration::from_secs(2),
        |e| matches!(e, Event::VoiceLeft { user_id, .. } if user_id.as_str() == "sid"),
    )
    .await;
    assert!(matches!(left, Event::VoiceLeft { channel_id, .. } if channel_id == lounge));
    drop(silent);
}

#[tokio::test]
async fn invisible_looks_offline_to_others_and_invisible_to_oneself() {
    let server = TestServer::start_with(quick).await;
    let mut ann = device(&server, "ann", "phone").await;
    let mut ann_laptop = device(&server, "ann", "laptop").await;
    let mut watcher = server.login("wes").await;
    presences(&mut watcher, &["ann"]).await;
    ann.ok(set_presence(PresenceStatus::DoNotDisturb, "focus"))
        .await;
    let event = expect(&mut watcher, Duration::from_secs(5), presence_of("ann")).await;
    assert_eq!(
        status_of(&event),
        (PresenceStatus::DoNotDisturb, "focus".into(), None)
    );
    ann.ok(set_presence(PresenceStatus::Invisible, "hidden"))
        .await;
    let event = expect(&mut watcher, Duration::from_secs(5), presence_of("ann")).await;
    let (status, text, last_seen) = status_of(&event);
    assert_eq!((status, text.as_str()), (PresenceStatus::Offline, ""));
    assert!(last_seen.is_some());
    // Every device of hers follows, and sees the truth.
    let own = expect(&mut ann_laptop, Duration::from_secs(5), |e| {
        matches!(e, Event::PresenceChanged { presence } if presence.status == PresenceStatus::Invisible)
    })
    .await;
    assert_eq!(status_of(&own).1, "hidden");
    assert_eq!(
        presences(&mut ann_laptop, &["ann"]).await[0].status,
        PresenceStatus::Invisible
    );
    assert_eq!(
        presences(&mut watcher, &["ann"]).await[0].status,
        PresenceStatus::Offline
    );
    // What cannot be set.
    ann.fails(
        set_presence(PresenceStatus::Offline, ""),
        ErrorCode::INVALID_ARGUMENT,
    )
    .await;
    let long = "x".repeat(Limits::default().presence_text_bytes + 1);
    ann.fails(
        set_presence(PresenceStatus::Online, &long),
        ErrorCode::PROFILE_TOO_LARGE,
    )
    .await;
}

#[tokio::test]
async fn subscriptions_are_bounded_and_survive_a_resume() {
    let server = TestServer::start_with(quick).await;
    let mut watcher = server.login("wes").await;
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    watcher
        .fails(subscribe(&refs), ErrorCode::TOO_MANY_USERS)
        .await;
    watcher
        .fails(subscribe(&[]), ErrorCode::TOO_MANY_USERS)
        .await;
    assert_eq!(presences(&mut watcher, &refs[..500]).await.len(), 500);
    // The session follows at most 500: one more is refused, a known one is not.
    watcher
        .fails(subscribe(&["ann"]), ErrorCode::TOO_MANY_USERS)
        .await;
    presences(&mut watcher, &refs[..3]).await;
    watcher
        .ok(Request::UnsubscribePresence(UserIds {
            user_ids: vec!["u0".into()],
        }))
        .await;
    presences(&mut watcher, &["ann"]).await;
    // Resumed on a new connection: the subscription is still there.
    let resume = watcher.resume();
    watcher.close().await;
    let mut watcher = Client::connect(&server.url()).await;
    watcher.hello().await;
    let logged = watcher
        .login_ok("wes", &server.token("wes"), "", Some(resume))
        .await;
    assert!(logged.resumed);
    let mut ann = server.login("ann").await;
    ann.ok(set_presence(PresenceStatus::Idle, "")).await;
    let event = expect(&mut watcher, Duration::from_secs(5), |e| {
        matches!(e, Event::PresenceChanged { presence }
            if presence.user_id.as_str() == "ann" && presence.status == PresenceStatus::Idle)
    })
    .await;
    assert_eq!(status_of(&event).0, PresenceStatus::Idle);
}

fn view(community: Option<&CommunityId>) -> Request {
    Request::ViewCommunity(ViewCommunity {
        community_id: community.cloned(),
    })
}

#[tokio::test]
async fn viewing_a_community_follows_its_members_and_online_count() {
    let server = TestServer::start_with(quick).await;
    let mut owner = server.login("own").await;
    let mut viewer = server.login("vic").await;
    let mut dora = server.login("dora").await;
    let mut hidden = server.login("hid").await;
    let (id, _) = community(&mut owner, &mut [&mut viewer, &mut dora, &mut hidden]).await;
    hidden.ok(set_presence(PresenceStatus::Invisible, "")).await;
    dora.close().await;
    tokio::time::sleep(GRACE * 2).await;
    let Response::Viewing(ViewedCommunity {
        community_id,
        online_count,
        presences,
    }) = viewer.ok(view(Some(&id))).await
    else {
        panic!("no viewing answer");
    };
    assert_eq!(community_id, id);
    // own and vic: dora is gone, hid is invisible.
    assert_eq!(online_count, 2);
    let mut online: Vec<&str> = presences.iter().map(|p| p.user_id.as_str()).collect();
    online.sort_unstable();
    assert_eq!(online, ["own", "vic"]);
    // dora comes back: her presence and the new count follow without subscribing.
    let mut dora = server.login("dora").await;
    let event = expect(&mut viewer, Duration::from_secs(5), presence_of("dora")).await;
    assert_eq!(status_of(&event).0, PresenceStatus::Online);
    let count = expect(&mut viewer, Duration::from_secs(5), |e| {
        matches!(e, Event::OnlineCount { .. })
    })
    .await;
    assert!(matches!(count, Event::OnlineCount { community_id, online: 3 } if community_id == id));
    dora.ok(set_presence(PresenceStatus::Idle, "lunch")).await;
    let event = expect(&mut viewer, Duration::from_secs(5), presence_of("dora")).await;
    assert_eq!(
        status_of(&event),
        (PresenceStatus::Idle, "lunch".into(), None)
    );
    // Not a member, no such community.
    let mut stranger = server.login("stan").await;
    stranger.fails(view(Some(&id)), ErrorCode::NOT_MEMBER).await;
    stranger
        .fails(
            view(Some(&"nowhere".into())),
            ErrorCode::COMMUNITY_NOT_FOUND,
        )
        .await;
    // Stopped: changes no longer come.
    viewer.ok(view(None)).await;
    dora.ok(set_presence(PresenceStatus::Online, "")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    fence(&mut viewer).await;
    assert!(take_buffered(&mut viewer, presence_of("dora")).is_empty());
}

fn typing(community: &CommunityId, channel: &ChannelId) -> Request {
    Request::Typing(ChannelRef {
        community_id: community.clone(),
        channel_id: channel.clone(),
    })
}

fn typing_in(channel: ChannelId) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Typing { channel_id, .. } if *channel_id == channel)
}

fn typers(event: &Event) -> Vec<String> {
    match event {
        Event::Typing { user_ids, .. } => user_ids.iter().map(|u| u.as_str().to_owned()).collect(),
        other => panic!("not typing: {other:?}"),
    }
}

async fn private_channel(owner: &mut Client, id: &CommunityId, members: &[&str]) -> ChannelId {
    let request = Request::CreateChannel(CreateChannel {
        community_id: id.clone(),
        name: "staff".into(),
        private: true,
        member_ids: members.iter().map(|m| (*m).into()).collect(),
        ..Default::default()
    });
    match owner.ok(request).await {
        Response::Channel(channel) => channel.channel_id,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn typing_reaches_readers_only_and_leaves_no_trace() {
    let server = TestServer::start_with(quick).await;
    let mut typer = device(&server, "tia", "phone").await;
    let mut typer_laptop = device(&server, "tia", "laptop").await;
    let mut reader = server.login("rex").await;
    let mut outsider = server.login("oli").await;
    let (id, general) = community(&mut typer, &mut [&mut reader, &mut outsider]).await;
    let staff = private_channel(&mut typer, &id, &["rex"]).await;
    let Response::Heads(Heads { heads: before }) = reader
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!("no heads");
    };
    typer.ok(typing(&id, &general)).await;
    let event = expect(
        &mut reader,
        Duration::from_secs(5),
        typing_in(general.clone()),
    )
    .await;
    assert_eq!(typers(&event), ["tia"]);
    let Event::Typing { until_ms, .. } = event else {
        unreachable!()
    };
    assert!(until_ms > auth_now_ms());
    expect(
        &mut outsider,
        Duration::from_secs(5),
        typing_in(general.clone()),
    )
    .await;
    // A private channel: its member hears it, the other member does not.
    typer.ok(typing(&id, &staff)).await;
    expect(
        &mut reader,
        Duration::from_secs(5),
        typing_in(staff.clone()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    fence(&mut outsider).await;
    assert!(take_buffered(&mut outsider, typing_in(staff.clone())).is_empty());
    // The typer's own devices never hear of it.
    fence(&mut typer_laptop).await;
    assert!(take_buffered(&mut typer_laptop, |e| matches!(e, Event::Typing { .. })).is_empty());
    // No trace: no message, no change, the same heads.
    let Response::Heads(Heads { heads: after }) = reader
        .ok(Request::GetHeads(community_ref(id.as_str())))
        .await
    else {
        panic!("no heads");
    };
    assert_eq!(before, after);
    let Response::Messages(MessagesPage { messages, .. }) = reader
        .ok(history_after(id.as_str(), general.as_str(), 0, None))
        .await
    else {
        panic!("no page");
    };
    assert!(messages.is_empty(), "{messages:?}");
    let Response::Changes(ChangesPage { changes, .. }) = reader
        .ok(Request::GetChanges(GetChanges {
            community_id: id.clone(),
            channel_id: general.clone(),
            after_change_seq: 0,
            limit: None,
        }))
        .await
    else {
        panic!("no changes");
    };
    assert!(changes.is_empty());
}

#[tokio::test]
async fn typing_is_rate_limited_per_user_and_coalesced_per_session() {
    let server = TestServer::start_with(quick).await;
    let mut reader = server.login("rex").await;
    let mut typists = Vec::new();
    for i in 0..5 {
        typists.push(server.login(&format!("t{i}")).await);
    }
    let (id, general) = {
        let mut members: Vec<&mut Client> = typists.iter_mut().collect();
        community(&mut reader, &mut members).await
    };
    // The first typing in a quiet channel comes at once.
    let started = Instant::now();
    typists[0].ok(typing(&id, &general)).await;
    let first = expect(
        &mut reader,
        Duration::from_secs(5),
        typing_in(general.clone()),
    )
    .await;
    assert_eq!(typers(&first), ["t0"]);
    // The others within the second (t0 again: dropped by the rate) are gathered: they
    // come in one event when the window closes (two if the machine is slow enough for
    // the window to close in the middle), several users in one.
    let mut sent = Vec::new();
    for (i, typist) in typists.iter_mut().enumerate() {
        sent.push((i, typist.send_request(typing(&id, &general)).await));
    }
    for (i, request) in sent {
        assert_eq!(typists[i].response(request).await, Ok(Response::Ok));
    }
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    while names.len() < 4 {
        let batch = expect(
            &mut reader,
            Duration::from_secs(5),
            typing_in(general.clone()),
        )
        .await;
        names.extend(typers(&batch));
        batches.push(typers(&batch));
    }
    names.sort_unstable();
    assert_eq!(
        names,
        ["t1", "t2", "t3", "t4"],
        "each once, t0 dropped: {batches:?}"
    );
    assert!(batches.len() <= 2, "{batches:?}");
    assert!(batches.iter().any(|b| b.len() > 1), "{batches:?}");
    // Nothing more: t0's second typing was dropped, not delayed.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    fence(&mut reader).await;
    assert!(take_buffered(&mut reader, typing_in(general.clone())).is_empty());
    // Three seconds after its first, t0's typing goes through again.
    let interval = Duration::from_millis(Limits::default().typing_interval_ms);
    tokio::time::sleep_until((started + interval + Duration::from_millis(200)).into()).await;
    typists[0].ok(typing(&id, &general)).await;
    let again = expect(
        &mut reader,
        Duration::from_secs(5),
        typing_in(general.clone()),
    )
    .await;
    assert_eq!(typers(&again), ["t0"]);
}

#[tokio::test]
async fn typing_is_refused_where_sending_is_with_the_same_codes() {
    let server = TestServer::start_with(quick).await;
    let mut owner = server.login("own").await;
    let mut member = server.login("mia").await;
    let mut muted = server.login("mute").await;
    let mut stranger = server.login("stan").await;
    let (id, general) = community(&mut owner, &mut [&mut member, &mut muted]).await;
    let staff = private_channel(&mut owner, &id, &[]).await;
    let Response::Channel(news) = owner
        .ok(Request::CreateChannel(CreateChannel {
            community_id: id.clone(),
            name: "news".into(),
            kind: ChannelKind::Announcement,
            ..Default::default()
        }))
        .await
    else {
        panic!("no channel");
    };
    let Response::Thread(thread) = owner
        .ok(Request::CreateThread(CreateThread {
            community_id: id.clone(),
            channel_id: general.clone(),
            name: "old".into(),
            parent_seq: None,
            auto_archive_ms: None,
        }))
        .await
    else {
        panic!("no thread");
    };
    owner
        .ok(Request::UpdateThread(UpdateThread {
            community_id: id.clone(),
            thread_id: thread.thread_id.clone(),
            archived: Some(true),
            ..Default::default()
        }))
        .await;
    owner
        .ok(Request::MuteMember(MuteMember {
            community_id: id.clone(),
            user_id: "mute".into(),
            until_ms: Some(auth_now_ms() + 3_600_000),
        }))
        .await;
    // (who, where, the code; `None`: whatever sending answers there).
    let cases = [
        ("stan", general.clone(), Some(ErrorCode::NOT_MEMBER)),
        ("mute", general.clone(), Some(ErrorCode::MUTED)),
        (
            "mia",
            news.channel_id.clone(),
            Some(ErrorCode::ANNOUNCEMENT_READ_ONLY),
        ),
        (
            "mia",
            thread.thread_id.clone(),
            Some(ErrorCode::THREAD_ARCHIVED),
        ),
        ("mia", staff.clone(), None),
    ];
    for (who, channel, code) in cases {
        let client = match who {
            "stan" => &mut stranger,
            "mute" => &mut muted,
            _ => &mut member,
        };
        let sending = client
            .request(send_text(id.as_str(), channel.as_str(), "k", "hi"))
            .await
            .expect_err("sending is refused");
        let typed = client.fails(typing(&id, &channel), sending.code).await;
        if let Some(code) = code {
            assert_eq!(typed.code, code, "{who} in {channel}");
        }
        // Refused typings do not use up the rate: the next try is checked again.
        client.fails(typing(&id, &channel), sending.code).await;
    }
    member
        .fails(typing(&id, &"nope".into()), ErrorCode::CHANNEL_NOT_FOUND)
        .await;
    // Conversations are built on their own branch: none exists yet.
    member
        .fails(
            typing(&CommunityId::direct(), &"dm_none".into()),
            ErrorCode::CONVERSATION_NOT_FOUND,
        )
        .await;
}

async fn voice_channel(owner: &mut Client, id: &CommunityId, name: &str) -> ChannelId {
    let request = Request::CreateChannel(CreateChannel {
        community_id: id.clone(),
        name: name.into(),
        kind: ChannelKind::Voice,
        ..Default::default()
    });
    match owner.ok(request).await {
        Response::Channel(channel) => channel.channel_id,
        other => panic!("unexpected {other:?}"),
    }
}

fn join_voice(id: &CommunityId, channel: &ChannelId) -> Request {
    Request::JoinVoice(ChannelRef {
        community_id: id.clone(),
        channel_id: channel.clone(),
    })
}

async fn seated(client: &mut Client, id: &CommunityId, channel: &ChannelId) -> Vec<String> {
    let request = Request::ListVoice(ChannelRef {
        community_id: id.clone(),
        channel_id: channel.clone(),
    });
    match client.ok(request).await {
        Response::Voice(list) => list
            .participants
            .iter()
            .map(|p| p.user_id.as_str().to_owned())
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

fn voice_event(e: &Event) -> bool {
    matches!(e, Event::VoiceJoined { .. } | Event::VoiceLeft { .. })
}

#[tokio::test]
async fn voice_seats_move_list_sync_and_clear() {
    let server = TestServer::start_with(quick).await;
    let mut owner = server.login("own").await;
    let mut vera = server.login("vera").await;
    let mut walt = server.login("walt").await;
    let (id, general) = community(&mut owner, &mut [&mut vera, &mut walt]).await;
    let lounge = voice_channel(&mut owner, &id, "lounge").await;
    let stage = voice_channel(&mut owner, &id, "stage").await;
    vera.fails(join_voice(&id, &general), ErrorCode::INVALID_ARGUMENT)
        .await;
    vera.ok(join_voice(&id, &lounge)).await;
    walt.ok(join_voice(&id, &lounge)).await;
    let joined = expect(&mut owner, Duration::from_secs(5), voice_event).await;
    assert!(matches!(&joined, Event::VoiceJoined { participant }
        if participant.user_id.as_str() == "vera" && participant.channel_id == lounge));
    assert_eq!(
        seated(&mut owner, &id, &lounge).await,
        ["vera", "walt"],
        "join order"
    );
    // Moving: left there, then joined here.
    vera.ok(join_voice(&id, &stage)).await;
    let events: Vec<Event> = {
        let mut seen = Vec::new();
        while seen.len() < 3 {
            seen.push(expect(&mut owner, Duration::from_secs(5), voice_event).await);
        }
        seen
    };
    assert!(
        matches!(&events[0], Event::VoiceJoined { participant } if participant.user_id.as_str() == "walt")
    );
    assert!(
        matches!(&events[1], Event::VoiceLeft { user_id, channel_id, .. }
        if user_id.as_str() == "vera" && *channel_id == lounge)
    );
    assert!(matches!(&events[2], Event::VoiceJoined { participant }
        if participant.user_id.as_str() == "vera" && participant.channel_id == stage));
    assert_eq!(seated(&mut owner, &id, &lounge).await, ["walt"]);
    // Sync lists who sits where.
    let Response::Synced(synced) = owner.ok(sync_all()).await else {
        panic!("no sync");
    };
    let mut voice: Vec<(String, String)> = synced.changed[0]
        .voice
        .iter()
        .map(|p| {
            (
                p.user_id.as_str().to_owned(),
                p.channel_id.as_str().to_owned(),
            )
        })
        .collect();
    voice.sort_unstable();
    let mut expected = vec![
        ("vera".to_owned(), stage.as_str().to_owned()),
        ("walt".to_owned(), lounge.as_str().to_owned()),
    ];
    expected.sort_unstable();
    assert_eq!(voice, expected);
    // walt leaves by hand; vera's last session goes away.
    walt.ok(Request::LeaveVoice(Default::default())).await;
    let left = expect(&mut owner, Duration::from_secs(5), voice_event).await;
    assert!(matches!(&left, Event::VoiceLeft { user_id, .. } if user_id.as_str() == "walt"));
    vera.close().await;
    let left = expect(&mut owner, Duration::from_secs(5), voice_event).await;
    assert!(matches!(&left, Event::VoiceLeft { user_id, channel_id, .. }
        if user_id.as_str() == "vera" && *channel_id == stage));
    assert!(seated(&mut owner, &id, &stage).await.is_empty());
    // A deleted channel and a member who leaves the community are cleared too.
    walt.ok(join_voice(&id, &stage)).await;
    expect(&mut owner, Duration::from_secs(5), voice_event).await;
    owner
        .ok(Request::DeleteChannel(ChannelRef {
            community_id: id.clone(),
            channel_id: stage.clone(),
        }))
        .await;
    let left = expect(&mut owner, Duration::from_secs(5), voice_event).await;
    assert!(matches!(&left, Event::VoiceLeft { user_id, .. } if user_id.as_str() == "walt"));
    walt.ok(join_voice(&id, &lounge)).await;
    expect(&mut owner, Duration::from_secs(5), voice_event).await;
    walt.ok(Request::LeaveCommunity(community_ref(id.as_str())))
        .await;
    let left = expect(&mut owner, Duration::from_secs(5), voice_event).await;
    assert!(matches!(&left, Event::VoiceLeft { user_id, .. } if user_id.as_str() == "walt"));
    assert!(seated(&mut owner, &id, &lounge).await.is_empty());
    walt.fails(join_voice(&id, &lounge), ErrorCode::NOT_MEMBER)
        .await;
}
