//! Push tokens: registered to the caller, moved between users, renewed, bounded per user
//! (least recent forgotten), unregistered, checked, and kept across a reopen.

use community_protocol::push::{PushPlatform, PushToken, RegisterPushToken, UnregisterPushToken};
use community_protocol::{ErrorCode, Limits, Request, UserId};

use crate::test_support::*;

fn register(platform: PushPlatform, token: &str) -> Request {
    Request::RegisterPushToken(RegisterPushToken {
        platform,
        token: token.to_owned(),
    })
}

fn unregister(token: &str) -> Request {
    Request::UnregisterPushToken(UnregisterPushToken {
        token: token.to_owned(),
    })
}

fn tokens(env: &Env, user: &str) -> Vec<String> {
    env.domain
        .push_tokens(&UserId::from(user))
        .unwrap()
        .into_iter()
        .map(|t| t.token)
        .collect()
}

#[test]
fn a_token_belongs_to_one_user_and_moves_with_the_device() {
    let env = Env::new();
    env.login(&["alice", "bob"]);
    env.ok("alice", register(PushPlatform::Apns, "apns-1"));
    env.ok("alice", register(PushPlatform::Fcm, "fcm-1"));
    assert_eq!(
        env.domain.push_tokens(&UserId::from("alice")).unwrap(),
        vec![
            PushToken {
                platform: PushPlatform::Fcm,
                token: "fcm-1".into()
            },
            PushToken {
                platform: PushPlatform::Apns,
                token: "apns-1".into()
            },
        ]
    );
    // Bob logs in on alice's phone: the token is his now.
    env.ok("bob", register(PushPlatform::Apns, "apns-1"));
    assert_eq!(tokens(&env, "alice"), vec!["fcm-1"]);
    assert_eq!(tokens(&env, "bob"), vec!["apns-1"]);
    // Unregistering another user's token changes nothing; one's own forgets it.
    env.ok("alice", unregister("apns-1"));
    assert_eq!(tokens(&env, "bob"), vec!["apns-1"]);
    env.ok("bob", unregister("apns-1"));
    env.ok("bob", unregister("apns-1"));
    assert!(tokens(&env, "bob").is_empty());
}

#[test]
fn past_the_limit_the_least_recent_token_goes_and_renewing_keeps_one() {
    let env = Env::with_limits(Limits {
        max_push_tokens_per_user: 2,
        ..Limits::default()
    });
    env.login(&["alice"]);
    env.ok("alice", register(PushPlatform::Fcm, "old"));
    env.clock.advance(1);
    env.ok("alice", register(PushPlatform::Fcm, "mid"));
    env.clock.advance(1);
    // Renewing the old one makes it the most recent.
    env.ok("alice", register(PushPlatform::Fcm, "old"));
    env.clock.advance(1);
    env.ok("alice", register(PushPlatform::Hms, "new"));
    assert_eq!(tokens(&env, "alice"), vec!["new", "old"]);
    let env = env.reopen();
    assert_eq!(tokens(&env, "alice"), vec!["new", "old"]);
}

#[test]
fn bad_tokens_get_a_typed_error() {
    let env = Env::new();
    env.login(&["alice"]);
    let long = "x".repeat(Limits::default().push_token_bytes + 1);
    for bad in ["", " padded", "line\nbreak", long.as_str()] {
        assert_eq!(
            env.err("alice", register(PushPlatform::Fcm, bad)),
            ErrorCode::INVALID_PUSH_TOKEN
        );
    }
    assert_eq!(
        env.err("alice", unregister("")),
        ErrorCode::INVALID_PUSH_TOKEN
    );
    assert!(tokens(&env, "alice").is_empty());
}
