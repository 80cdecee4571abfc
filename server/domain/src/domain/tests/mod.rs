//! Tests of [`Domain::handle`](crate::Domain::handle) over a real SQLite database, by
//! concern. Fixtures live in `crate::test_support`.

mod answers;
mod app_admin;
mod bans;
mod changes;
mod channel_settings;
mod channels;
mod communities;
mod conversation_messages;
mod conversations;
mod counts;
mod dm_policy;
mod edits;
mod fields;
mod groups;
mod large;
mod members;
mod membership;
mod messages;
mod overrides;
mod profiles;
mod push;
mod push_targets;
mod reactions;
mod reads;
mod search;
mod search_names;
mod system;
mod thread_life;
mod threads;

#[test]
fn domain_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::Domain>();
}

#[test]
fn session_requests_are_refused() {
    let env = crate::test_support::Env::new();
    let code = env.err(
        "alice",
        community_protocol::Request::Logout(Default::default()),
    );
    assert_eq!(code, community_protocol::ErrorCode::INVALID_ARGUMENT);
}

#[test]
fn open_creates_the_data_directory_and_serves_requests() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("a").join("b");
    let domain = crate::Domain::open(&data_dir, community_protocol::Limits::default()).unwrap();
    assert_eq!(domain.limits(), &community_protocol::Limits::default());
    let request = community_protocol::Request::CreateCommunity(
        community_protocol::request::CreateCommunity {
            name: "n".into(),
            ..Default::default()
        },
    );
    let handled = domain.handle(&"alice".into(), request).unwrap();
    assert!(matches!(
        handled.response,
        community_protocol::Response::Community(_)
    ));
    assert!(data_dir.join("community.db").exists());
    drop(domain);
    let domain = crate::Domain::open(&data_dir, community_protocol::Limits::default()).unwrap();
    assert_eq!(
        domain.joined_community_ids(&"alice".into()).unwrap().len(),
        1
    );
}
