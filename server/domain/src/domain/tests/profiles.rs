//! Profiles: setting (absent fields stay, empty values clear), the limits, reading up to
//! 100 users, and who hears of a change (those who share a community or a conversation,
//! the user's other sessions; not strangers).

use community_protocol::request::*;
use community_protocol::response::ProfileList;
use community_protocol::{ErrorCode, Event, Profile, Request, Response, UserId};

use super::conversations::start;
use crate::routing::Audience;
use crate::test_support::*;

fn set(display_name: Option<&str>, avatar: Option<&str>, fields: &[(&str, &str)]) -> Request {
    Request::SetProfile(SetProfile {
        display_name: display_name.map(Into::into),
        avatar_url: avatar.map(Into::into),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    })
}

fn profiles(env: &Env, caller: &str, users: &[&str]) -> Vec<Profile> {
    let request = Request::GetProfiles(UserIds {
        user_ids: users.iter().map(|u| UserId::from(*u)).collect(),
    });
    match env.ok(caller, request).response {
        Response::Profiles(ProfileList { profiles }) => profiles,
        other => panic!("unexpected {other:?}"),
    }
}

#[track_caller]
fn profile_of(env: &Env, caller: &str, request: Request) -> Profile {
    match env.ok(caller, request).response {
        Response::Profile(profile) => profile,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_profile_changes_only_what_is_named() {
    let env = Env::new();
    env.login(&["alice", "bob"]);
    let first = profile_of(
        &env,
        "alice",
        set(
            Some("Alice"),
            Some("https://a/x.png"),
            &[("city", "Lyon"), ("pet", "cat")],
        ),
    );
    assert_eq!(first.updated_at_ms, T0);
    env.clock.advance(10);
    let next = profile_of(
        &env,
        "alice",
        set(None, Some(""), &[("pet", ""), ("tz", "CET")]),
    );
    assert_eq!(next.display_name, "Alice");
    assert_eq!(next.avatar_url, "");
    let fields: Vec<(&str, &str)> = next
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(fields, vec![("city", "Lyon"), ("tz", "CET")]);
    assert_eq!(next.updated_at_ms, T0 + 10);
    // Nothing new: the profile as it is, no events.
    env.clock.advance(10);
    let same = env.ok("alice", set(Some("Alice"), None, &[]));
    assert_eq!(same.response, Response::Profile(next.clone()));
    assert!(same.deliveries.is_empty());
    // Reading: known users in the order asked, each once; empty for a never-set one.
    let read = profiles(&env, "bob", &["alice", "ghost", "bob", "alice"]);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0], next);
    assert_eq!(read[1].user_id.as_str(), "bob");
    assert_eq!(
        (read[1].display_name.as_str(), read[1].updated_at_ms),
        ("", 0)
    );
    // Kept across a reopen.
    let env = env.reopen();
    assert_eq!(profiles(&env, "bob", &["alice"]), vec![next]);
}

#[test]
fn limits_are_checked() {
    let env = Env::new();
    env.login(&["alice"]);
    let long = "x".repeat(65);
    let too_many: Vec<(String, String)> = (0..11).map(|n| (format!("k{n}"), "v".into())).collect();
    let too_many: Vec<(&str, &str)> = too_many
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for request in [
        set(Some(&long), None, &[]),
        set(None, Some(&"u".repeat(301)), &[]),
        set(None, None, &[(&long, "v")]),
        set(None, None, &[("k", &long)]),
        set(None, None, &[("", "v")]),
        set(None, None, &too_many),
    ] {
        assert_eq!(env.err("alice", request), ErrorCode::PROFILE_TOO_LARGE);
    }
    // Ten fields fit; an eleventh does not, removing one makes room.
    profile_of(&env, "alice", set(None, None, &too_many[..10]));
    assert_eq!(
        env.err("alice", set(None, None, &too_many[10..])),
        ErrorCode::PROFILE_TOO_LARGE
    );
    profile_of(&env, "alice", set(None, None, &[("k0", ""), ("k10", "v")]));
    let users: Vec<String> = (0..101).map(|n| format!("u{n}")).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    for asked in [&users[..], &[]] {
        let request = Request::GetProfiles(UserIds {
            user_ids: asked.iter().map(|u| UserId::from(*u)).collect(),
        });
        assert_eq!(env.err("alice", request), ErrorCode::TOO_MANY_USERS);
    }
    assert_eq!(profiles(&env, "alice", &users[..100]).len(), 0);
}

#[test]
fn a_change_reaches_those_who_share_a_community_or_a_conversation() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol", "dave", "erin"]);
    // Bob shares community "c" with alice; carol a conversation; dave nothing.
    env.create("alice", "c");
    env.join("bob", "c");
    env.create("dave", "d");
    env.join("erin", "d");
    start(&env, "carol", &["alice", "erin"], true);
    let handled = env.ok("alice", set(Some("Alice"), None, &[]));
    let told = events(&handled, |e| match e {
        Event::ProfileUpdated { profile } => Some(profile.display_name.clone()),
        _ => None,
    });
    assert_eq!(told.len(), 2);
    assert_eq!(
        users(told[0].0),
        vec![UserId::from("bob"), "carol".into(), "erin".into()]
    );
    assert_eq!(told[1].0, &Audience::OtherSessionsOfCaller);
    assert!(told.iter().all(|(_, name)| name == "Alice"));
    // Someone who shares nothing with anyone tells only their other sessions.
    env.login(&["frank"]);
    let alone = env.ok("frank", set(Some("F"), None, &[]));
    let audiences: Vec<&Audience> = alone.deliveries.iter().map(|d| &d.audience).collect();
    assert_eq!(audiences, vec![&Audience::OtherSessionsOfCaller]);
}
