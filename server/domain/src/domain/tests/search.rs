//! `search_messages` through the domain: what is found (words, prefixes, phrases, CJK
//! substrings, edits, recalls), for whom (readable channels and their threads, private
//! channels, overrides, conversations, hidden messages), with which filters, in which
//! order, over which pages, and how bad queries are refused.

use community_protocol::request::*;
use community_protocol::search::{SearchMessages, SearchPage};
use community_protocol::{ErrorCode, Permissions, Request, Response, Seq, ThreadInfo, TimestampMs};

use super::conversations::direct;
use crate::test_support::*;

/// A search as `user` in `community`.
fn request(community: &str, query: &str) -> SearchMessages {
    SearchMessages {
        community_id: community.into(),
        query: query.into(),
        ..Default::default()
    }
}

/// Runs a search that must succeed.
#[track_caller]
fn search(env: &Env, user: &str, p: SearchMessages) -> SearchPage {
    match env.ok(user, Request::SearchMessages(p)).response {
        Response::SearchResults(page) => page,
        other => panic!("unexpected {other:?}"),
    }
}

/// The (stream, seq) of the first page of hits of `query` for `user`.
#[track_caller]
pub(super) fn found(env: &Env, user: &str, community: &str, query: &str) -> Vec<(String, Seq)> {
    hits_of(&search(env, user, request(community, query)))
}

fn hits_of(page: &SearchPage) -> Vec<(String, Seq)> {
    page.hits
        .iter()
        .map(|hit| (hit.message.channel_id.to_string(), hit.message.seq))
        .collect()
}

/// A community `g` of alice with bob, its default channel's id.
fn guild(env: &Env) -> String {
    let snapshot = env.create("alice", "g");
    env.join("bob", "g");
    snapshot.info.default_channel_id.to_string()
}

fn thread(env: &Env, user: &str, channel: &str, name: &str) -> String {
    let request = Request::CreateThread(CreateThread {
        community_id: "g".into(),
        channel_id: channel.into(),
        name: name.into(),
        parent_seq: None,
        auto_archive_ms: None,
    });
    match env.ok(user, request).response {
        Response::Thread(ThreadInfo { thread_id, .. }) => thread_id.to_string(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn words_prefixes_and_phrases_are_found_with_the_message_as_history_shows_it() {
    let env = Env::new();
    let general = guild(&env);
    let g = general.as_str();
    env.send("alice", "g", g, "k1", "Raid tonight at nine");
    env.send("bob", "g", g, "k2", "The raiders meet at dawn");
    env.send("bob", "g", g, "k3", "nine o'clock, not at nine sharp");
    env.ok("alice", react("g", g, 1, "🔥", true));
    let raid = search(&env, "bob", request("g", "raid"));
    assert_eq!(hits_of(&raid), [(general.clone(), 1)]);
    // The hit is the message as get_messages gives it now (reactions included), and its
    // snippet marks the match.
    assert_eq!(raid.hits[0].message, env.message("bob", "g", g, 1));
    assert_eq!(raid.hits[0].message.reactions.len(), 1);
    let snippet = &raid.hits[0].snippet;
    let h = snippet.highlights[0];
    assert_eq!(&snippet.text[h.start as usize..h.end as usize], "Raid");
    assert_eq!(raid.next_cursor, None);
    // The shorter message ranks first.
    assert_eq!(
        found(&env, "bob", "g", "raid*"),
        [(general.clone(), 1), (general.clone(), 2)]
    );
    assert_eq!(
        found(&env, "bob", "g", "\"at nine\""),
        [(general.clone(), 1), (general.clone(), 3)]
    );
    assert_eq!(found(&env, "bob", "g", "\"nine at\""), []);
    // Every word is required; case and diacritics do not matter.
    assert_eq!(found(&env, "bob", "g", "RAID DAWN"), []);
    env.send("bob", "g", g, "k4", "Café crème");
    assert_eq!(
        found(&env, "bob", "g", "cafe CREME"),
        [(general.clone(), 4)]
    );
}

#[test]
fn edits_re_index_and_recalled_messages_are_never_found() {
    let env = Env::new();
    let general = guild(&env);
    let g = general.as_str();
    env.send("bob", "g", g, "k1", "meet at the old mill");
    env.send("bob", "g", g, "k2", "mill closed");
    env.change("bob", edit_text("g", g, 1, "e1", "meet at the new bridge"));
    assert_eq!(found(&env, "alice", "g", "old"), []);
    assert_eq!(found(&env, "alice", "g", "bridge"), [(general.clone(), 1)]);
    assert_eq!(found(&env, "alice", "g", "mill"), [(general.clone(), 2)]);
    // The hit carries the edit.
    let page = search(&env, "alice", request("g", "bridge"));
    assert_eq!(page.hits[0].message.edit_count, 1);
    env.change("bob", Request::RecallMessage(message_ref("g", g, 2)));
    assert_eq!(found(&env, "alice", "g", "mill"), []);
    assert_eq!(found(&env, "bob", "g", "closed"), []);
}

#[test]
fn system_messages_are_not_searchable() {
    let env = Env::new();
    env.create_with_system("alice", "s");
    env.join("bob", "s");
    env.ok(
        "alice",
        Request::CreateChannel(CreateChannel {
            community_id: "s".into(),
            name: "joined".into(),
            ..Default::default()
        }),
    );
    assert_eq!(found(&env, "alice", "s", "joined"), []);
    assert_eq!(found(&env, "alice", "s", "bob"), []);
}

#[test]
fn only_readable_channels_and_their_threads_are_searched() {
    let env = Env::new();
    let general = guild(&env);
    env.join("carol", "g");
    let secret = env.channel("alice", "g", "secret", true);
    env.ok(
        "alice",
        Request::AddChannelMembers(ChannelMembers {
            community_id: "g".into(),
            channel_id: secret.as_str().into(),
            user_ids: vec!["bob".into()],
        }),
    );
    env.send("alice", "g", &secret, "k1", "treasure map");
    let in_secret = thread(&env, "alice", &secret, "plans");
    env.send("alice", "g", &in_secret, "k2", "treasure route");
    env.send("alice", "g", &general, "k3", "no treasure here");
    // Carol reads only general; bob (a member of the private channel) finds all three.
    assert_eq!(
        found(&env, "carol", "g", "treasure"),
        [(general.clone(), 1)]
    );
    let mut bobs = found(&env, "bob", "g", "treasure");
    bobs.sort();
    let mut expected = vec![
        (general.clone(), 1),
        (secret.clone(), 1),
        (in_secret.clone(), 1),
    ];
    expected.sort();
    assert_eq!(bobs, expected);
    // Naming the private channel or its thread fails as get_messages does.
    for stream in [&secret, &in_secret] {
        let p = SearchMessages {
            channel_id: Some(stream.as_str().into()),
            ..request("g", "treasure")
        };
        let code = env.err("carol", Request::SearchMessages(p));
        let history = env.err(
            "carol",
            Request::GetMessages(GetMessages {
                community_id: "g".into(),
                channel_id: stream.as_str().into(),
                before_seq: None,
                after_seq: None,
                limit: None,
            }),
        );
        assert_eq!(code, history);
        assert!(matches!(
            code,
            ErrorCode::NOT_CHANNEL_MEMBER | ErrorCode::THREAD_NOT_FOUND
        ));
    }
    // An override taking read_history from carol in general hides it (and its threads).
    let in_general = thread(&env, "alice", &general, "chat");
    env.send("alice", "g", &in_general, "k4", "treasure talk");
    assert_eq!(found(&env, "carol", "g", "treasure").len(), 2);
    env.set_override(
        "alice",
        "g",
        &general,
        for_member("carol"),
        Permissions::NONE,
        Permissions::READ_HISTORY,
    );
    assert_eq!(found(&env, "carol", "g", "treasure"), []);
    let p = SearchMessages {
        channel_id: Some(general.as_str().into()),
        ..request("g", "treasure")
    };
    assert_eq!(
        env.err("carol", Request::SearchMessages(p)),
        ErrorCode::PERMISSION_DENIED
    );
    // Not a member: not_member; no such community: community_not_found.
    assert_eq!(
        env.err("dave", Request::SearchMessages(request("g", "treasure"))),
        ErrorCode::NOT_MEMBER
    );
    assert_eq!(
        env.err("bob", Request::SearchMessages(request("nope", "treasure"))),
        ErrorCode::COMMUNITY_NOT_FOUND
    );
}

#[test]
fn hidden_messages_are_not_found_by_who_hid_them() {
    let env = Env::new();
    let general = guild(&env);
    let g = general.as_str();
    env.send("alice", "g", g, "k1", "embarrassing typo");
    env.send("alice", "g", g, "k2", "another typo");
    env.ok("bob", Request::HideMessage(message_ref("g", g, 1)));
    assert_eq!(found(&env, "bob", "g", "typo"), [(general.clone(), 2)]);
    assert_eq!(
        found(&env, "alice", "g", "typo"),
        [(general.clone(), 2), (general.clone(), 1)]
    );
}

#[test]
fn cjk_substrings_are_found() {
    let env = Env::new();
    let general = guild(&env);
    env.send("alice", "g", &general, "k1", "明日東京都に行きます");
    env.send("alice", "g", &general, "k2", "서울에 갑니다");
    for query in [
        "東京",
        "京都",
        "東",
        "都に行",
        "明日東京都に行きます",
        "서울",
    ] {
        assert_eq!(found(&env, "bob", "g", query).len(), 1, "{query}");
    }
    for query in ["大阪", "東都", "京東"] {
        assert_eq!(found(&env, "bob", "g", query), [], "{query}");
    }
}

#[test]
fn conversations_are_searched_by_their_participants_only() {
    let env = Env::new();
    let dm = direct(&env, "alice", "bob");
    let other = direct(&env, "carol", "dave");
    env.send("alice", "@me", &dm, "k1", "secret handshake");
    env.send("carol", "@me", &other, "k2", "secret recipe");
    assert_eq!(found(&env, "bob", "@me", "secret"), [(dm.clone(), 1)]);
    assert_eq!(found(&env, "alice", "@me", "secret"), [(dm.clone(), 1)]);
    assert_eq!(found(&env, "dave", "@me", "secret"), [(other.clone(), 1)]);
    assert_eq!(found(&env, "erin", "@me", "secret"), []);
    let p = SearchMessages {
        channel_id: Some(dm.as_str().into()),
        ..request("@me", "secret")
    };
    assert_eq!(
        env.err("carol", Request::SearchMessages(p.clone())),
        ErrorCode::CONVERSATION_NOT_FOUND
    );
    assert_eq!(hits_of(&search(&env, "bob", p)), [(dm.clone(), 1)]);
    // A community search never reaches conversations.
    guild(&env);
    assert_eq!(found(&env, "alice", "g", "secret"), []);
}

#[test]
fn channel_thread_sender_and_time_filters() {
    let env = Env::new();
    let general = guild(&env);
    let other = env.channel("alice", "g", "other", false);
    let side = thread(&env, "bob", &general, "side");
    let at = |env: &Env| env.clock.now();
    let t1: TimestampMs = at(&env);
    env.send("alice", "g", &general, "k1", "launch plan");
    env.clock.advance(1_000);
    let t2 = at(&env);
    env.send("bob", "g", &other, "k2", "launch party");
    env.clock.advance(1_000);
    let t3 = at(&env);
    env.send("bob", "g", &side, "k3", "launch window");
    let with = |change: &dyn Fn(&mut SearchMessages)| {
        let mut p = request("g", "launch");
        change(&mut p);
        hits_of(&search(&env, "alice", p))
    };
    assert_eq!(with(&|_| {}).len(), 3);
    assert_eq!(
        with(&|p| p.channel_id = Some(general.as_str().into())),
        [(general.clone(), 1)]
    );
    assert_eq!(
        with(&|p| p.channel_id = Some(side.as_str().into())),
        [(side.clone(), 1)]
    );
    assert_eq!(
        with(&|p| p.sender_id = Some("bob".into())),
        [(side.clone(), 1), (other.clone(), 1)]
    );
    assert_eq!(
        with(&|p| p.after_ms = Some(t2)),
        [(side.clone(), 1), (other.clone(), 1)]
    );
    assert_eq!(with(&|p| p.before_ms = Some(t2)), [(general.clone(), 1)]);
    assert_eq!(
        with(&|p| {
            p.after_ms = Some(t1 + 1);
            p.before_ms = Some(t3);
        }),
        [(other.clone(), 1)]
    );
    assert_eq!(
        with(&|p| {
            p.sender_id = Some("alice".into());
            p.channel_id = Some(other.as_str().into());
        }),
        []
    );
    assert_eq!(with(&|p| p.before_ms = Some(t1)), []);
}

#[test]
fn relevance_first_then_newest() {
    let env = Env::new();
    let general = guild(&env);
    let g = general.as_str();
    env.send("alice", "g", g, "k1", "raid");
    env.send("alice", "g", g, "k2", "raid raid raid");
    env.send(
        "alice",
        "g",
        g,
        "k3",
        "we will talk about the raid later with everyone here",
    );
    env.send("alice", "g", g, "k4", "raid");
    let order: Vec<Seq> = found(&env, "bob", "g", "raid")
        .into_iter()
        .map(|(_, seq)| seq)
        .collect();
    assert_eq!(order, [2, 4, 1, 3]);
}

#[test]
fn pages_are_exact_and_stable_while_messages_keep_coming() {
    let env = Env::with_limits(community_protocol::Limits {
        channel_messages_per_second: 100_000,
        ..Default::default()
    });
    let general = guild(&env);
    let g = general.as_str();
    for n in 0..45 {
        let filler = "word ".repeat(n % 5);
        env.send(
            "alice",
            "g",
            g,
            &format!("k{n}"),
            &format!("match {filler}{n}"),
        );
    }
    let mut seen: Vec<Seq> = Vec::new();
    let mut p = SearchMessages {
        limit: Some(10),
        ..request("g", "match")
    };
    let mut pages = 0;
    loop {
        let page = search(&env, "bob", p.clone());
        pages += 1;
        seen.extend(page.hits.iter().map(|h| h.message.seq));
        // Newer matches arriving between pages do not shift the pages.
        env.send("alice", "g", g, &format!("late{pages}"), "match late");
        match page.next_cursor {
            Some(cursor) => p.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=45).collect::<Vec<Seq>>(),
        "no duplicate, no gap"
    );
    // The same search from the start now sees the late ones too.
    assert_eq!(
        search(
            &env,
            "bob",
            SearchMessages {
                limit: Some(100),
                ..request("g", "match")
            }
        )
        .hits
        .len(),
        50
    );
    // A cursor belongs to its search; sizes are 1..=100.
    let first = search(
        &env,
        "bob",
        SearchMessages {
            limit: Some(10),
            ..request("g", "match")
        },
    );
    let other = SearchMessages {
        cursor: first.next_cursor,
        ..request("g", "late")
    };
    assert_eq!(
        env.err("bob", Request::SearchMessages(other)),
        ErrorCode::INVALID_CURSOR
    );
    for limit in [0, 101] {
        let p = SearchMessages {
            limit: Some(limit),
            ..request("g", "match")
        };
        assert_eq!(
            env.err("bob", Request::SearchMessages(p)),
            ErrorCode::PAGE_SIZE_TOO_LARGE
        );
    }
    assert_eq!(search(&env, "bob", request("g", "match")).hits.len(), 20);
}

#[test]
fn malformed_queries_are_refused_and_operators_are_plain_words() {
    let env = Env::new();
    let general = guild(&env);
    let g = general.as_str();
    env.send("alice", "g", g, "k1", "alpha beta");
    env.send("alice", "g", g, "k2", "gamma");
    let ten_kb = "x".repeat(10 * 1024);
    let many = (0..17)
        .map(|n| format!("w{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    for bad in [
        "",
        "   ",
        "\"alpha",
        "al*pha",
        "*",
        "(",
        ")",
        "!!! ???",
        "\"\"",
        ten_kb.as_str(),
        many.as_str(),
    ] {
        assert_eq!(
            env.err("bob", Request::SearchMessages(request("g", bad))),
            ErrorCode::INVALID_SEARCH_QUERY,
            "{bad:?}"
        );
    }
    // FTS5 syntax is text: no negation, no OR, no NEAR, no column filter, no anchor.
    let alpha = vec![(general.clone(), 1)];
    assert_eq!(found(&env, "bob", "g", "-alpha"), alpha);
    assert_eq!(found(&env, "bob", "g", "^alpha"), alpha);
    assert_eq!(found(&env, "bob", "g", "(alpha)"), alpha);
    assert_eq!(found(&env, "bob", "g", "alpha*"), alpha);
    assert_eq!(found(&env, "bob", "g", "alpha -beta"), alpha);
    assert_eq!(found(&env, "bob", "g", "alpha OR gamma"), []);
    assert_eq!(found(&env, "bob", "g", "NEAR(alpha beta)"), []);
    assert_eq!(found(&env, "bob", "g", "body:alpha"), []);
    assert_eq!(found(&env, "bob", "g", "tags:alpha"), []);
    assert_eq!(found(&env, "bob", "g", "alpha AND gamma"), []);
    assert_eq!(found(&env, "bob", "g", "\"alpha\" + \"beta\""), alpha);
    assert_eq!(found(&env, "bob", "g", "a\"lpha\""), []);
    // Words that look like the index's filter tokens match nothing.
    assert_eq!(found(&env, "bob", "g", "k67"), []);
}

#[test]
fn deleted_streams_take_their_messages_out_of_the_index() {
    let env = Env::new();
    let general = guild(&env);
    let other = env.channel("alice", "g", "other", false);
    let side = thread(&env, "alice", &general, "side");
    env.send("alice", "g", &other, "k1", "ephemeral note");
    env.send("alice", "g", &side, "k2", "ephemeral idea");
    env.send("alice", "g", &general, "k3", "ephemeral thought");
    assert_eq!(found(&env, "bob", "g", "ephemeral").len(), 3);
    env.ok(
        "alice",
        Request::DeleteThread(ThreadRef {
            community_id: "g".into(),
            thread_id: side.as_str().into(),
        }),
    );
    env.ok(
        "alice",
        Request::DeleteChannel(ChannelRef {
            community_id: "g".into(),
            channel_id: other.as_str().into(),
        }),
    );
    assert_eq!(found(&env, "bob", "g", "ephemeral"), [(general.clone(), 1)]);
}
