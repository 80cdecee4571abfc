//! DM policies and blocks: who may start a conversation with whom (`anyone`,
//! `shared_community`, `nobody`), blocks either way (starting, direct posts, adding to a
//! group; posting in a group goes on), unblocking, and the block list.

use community_protocol::request::*;
use community_protocol::response::BlockedList;
use community_protocol::{DmPolicy, ErrorCode, Request, Response};

use super::conversations::{start, start_request};
use crate::test_support::*;

fn policy(value: DmPolicy) -> Request {
    Request::SetDmPolicy(SetDmPolicy { policy: value })
}

fn block(user: &str) -> Request {
    Request::BlockUser(UserRef {
        user_id: user.into(),
    })
}

fn unblock(user: &str) -> Request {
    Request::UnblockUser(UserRef {
        user_id: user.into(),
    })
}

fn blocked_list(env: &Env, user: &str) -> Vec<String> {
    match env.ok(user, Request::ListBlocked(Empty {})).response {
        Response::Blocked(BlockedList { user_ids }) => {
            user_ids.into_iter().map(|u| u.to_string()).collect()
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn each_policy_lets_in_whom_it_says() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol", "dave"]);
    // Bob shares community "c" with alice; carol shares nothing with anyone.
    env.create("alice", "c");
    env.join("bob", "c");
    env.join("dave", "c");
    // anyone (the default): everyone.
    start(&env, "carol", &["dave"], false);
    // shared_community: alice yes, carol no.
    env.ok("dave", policy(DmPolicy::SharedCommunity));
    assert_eq!(
        env.err("carol", start_request(&["dave"], "", true)),
        ErrorCode::DM_NOT_ALLOWED
    );
    start(&env, "alice", &["dave"], false);
    // nobody: nobody new, but the existing direct conversation goes on.
    env.ok("dave", policy(DmPolicy::Nobody));
    assert_eq!(
        env.err("bob", start_request(&["dave"], "", false)),
        ErrorCode::DM_NOT_ALLOWED
    );
    assert_eq!(
        env.err("alice", start_request(&["dave", "bob"], "", true)),
        ErrorCode::DM_NOT_ALLOWED
    );
    let existing = start(&env, "carol", &["dave"], false);
    let id = existing.conversation.conversation_id.to_string();
    env.send("carol", "@me", &id, "k1", "still here");
    env.send("dave", "@me", &id, "k2", "yes");
    // Adding to a group asks the added user's policy, against the adder.
    let group = start(&env, "alice", &["bob"], true);
    let add = Request::AddConversationMembers(ConversationMembers {
        conversation_id: group.conversation.conversation_id.clone(),
        user_ids: vec!["dave".into()],
    });
    assert_eq!(env.err("alice", add.clone()), ErrorCode::DM_NOT_ALLOWED);
    env.ok("dave", policy(DmPolicy::Anyone));
    env.ok("alice", add);
    // A policy this version does not know cannot be set.
    assert_eq!(
        env.err("dave", policy(DmPolicy::Unknown)),
        ErrorCode::INVALID_ARGUMENT
    );
}

#[test]
fn a_block_either_way_closes_direct_conversations() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    let dm = start(&env, "alice", &["bob"], false)
        .conversation
        .conversation_id
        .to_string();
    env.send("bob", "@me", &dm, "k1", "hi");
    env.ok("bob", block("alice"));
    for (sender, other) in [("alice", "bob"), ("bob", "alice")] {
        assert_eq!(
            env.err(sender, start_request(&[other], "", false)),
            ErrorCode::BLOCKED
        );
        assert_eq!(
            env.err(sender, start_request(&[other, "carol"], "", true)),
            ErrorCode::BLOCKED
        );
        let key = format!("{sender}-blocked");
        assert_eq!(
            env.err(sender, send("@me", &dm, &key, "anyone?")),
            ErrorCode::BLOCKED
        );
        assert_eq!(
            env.err(sender, react("@me", &dm, 1, "👋", true)),
            ErrorCode::BLOCKED
        );
    }
    assert_eq!(
        env.err("bob", edit_text("@me", &dm, 1, "e1", "edited")),
        ErrorCode::BLOCKED
    );
    // Reading, marking read and recalling one's own words stay open.
    assert_eq!(env.all_messages("alice", "@me", &dm).len(), 1);
    env.ok("alice", mark_read("@me", &dm, 1));
    env.change("bob", Request::RecallMessage(message_ref("@me", &dm, 1)));
    // Unblocking restores everything.
    env.ok("bob", unblock("alice"));
    env.send("alice", "@me", &dm, "k2", "back");
    env.send("bob", "@me", &dm, "k3", "hello again");
    let again = start(&env, "bob", &["alice"], false);
    assert_eq!(again.conversation.conversation_id.as_str(), dm);
}

#[test]
fn in_groups_a_block_refuses_adding_not_posting() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol", "dave"]);
    let group = start(&env, "alice", &["bob", "carol"], true);
    let id = group.conversation.conversation_id.to_string();
    env.ok("bob", block("carol"));
    env.send("carol", "@me", &id, "k1", "hello all");
    env.send("bob", "@me", &id, "k2", "hello");
    env.ok("dave", block("alice"));
    let add = |user: &str| {
        Request::AddConversationMembers(ConversationMembers {
            conversation_id: id.as_str().into(),
            user_ids: vec![user.into()],
        })
    };
    assert_eq!(env.err("alice", add("dave")), ErrorCode::BLOCKED);
    // Carol, who has no block with dave, may add him.
    env.ok("carol", add("dave"));
}

#[test]
fn blocking_is_idempotent_and_checked() {
    let env = Env::new();
    env.login(&["alice", "bob", "carol"]);
    assert_eq!(
        env.err("alice", block("alice")),
        ErrorCode::INVALID_ARGUMENT
    );
    assert_eq!(env.err("alice", block("ghost")), ErrorCode::USER_NOT_FOUND);
    assert_eq!(
        env.err("alice", unblock("ghost")),
        ErrorCode::USER_NOT_FOUND
    );
    assert_eq!(env.err("alice", block("")), ErrorCode::INVALID_USER_ID);
    env.ok("alice", block("carol"));
    env.ok("alice", block("bob"));
    env.ok("alice", block("bob"));
    assert_eq!(blocked_list(&env, "alice"), vec!["bob", "carol"]);
    assert!(blocked_list(&env, "bob").is_empty());
    env.ok("alice", unblock("bob"));
    env.ok("alice", unblock("bob"));
    assert_eq!(blocked_list(&env, "alice"), vec!["carol"]);
    // Members of a community are known without a login.
    env.create("alice", "c");
    env.join("erin", "c");
    env.ok("alice", block("erin"));
}
