//! The admin HTTP API against a real server: the key (missing, wrong, rotated), token
//! issuance, every owner operation as the app admin seen by WebSocket sessions, the
//! import, posts and broadcast, typed errors, reserved ids, and every answer checked
//! against `server/admin-openapi.json`.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Mutex;

use common::http::{Answer, call};
use common::*;
use community_protocol::{ErrorCode, Event, MessageContent};
use serde_json::{Value, json};

/// Calls the admin API and checks every answer against the OpenAPI document.
struct Admin {
    addr: SocketAddr,
    key: String,
    doc: Value,
    seen: Mutex<BTreeSet<(String, String)>>,
}

impl Admin {
    fn new(server: &TestServer) -> Admin {
        Admin {
            addr: server.server().local_addr(),
            key: server.server().admin_key().expect("admin key"),
            doc: openapi::document(),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// `method template` with the `{name}`s of the template filled from `ids` (in order)
    /// and `query` appended, with this key.
    async fn call(
        &self,
        method: &str,
        template: &str,
        ids: &[&str],
        query: &str,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(Some(&self.key.clone()), method, template, ids, query, body)
            .await
    }

    async fn call_with(
        &self,
        key: Option<&str>,
        method: &str,
        template: &str,
        ids: &[&str],
        query: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut path = String::new();
        let mut rest = template;
        let mut ids = ids.iter();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("closed") + open;
            path.push_str(&rest[..open]);
            path.push_str(ids.next().expect("an id per placeholder"));
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        path.push_str(query);
        let answer = call(self.addr, method, &path, key, body.as_ref()).await;
        let schema = openapi::response_schema(&self.doc, method, template, answer.status);
        let problems = openapi::check(&self.doc, schema, &answer.body);
        assert!(
            problems.is_empty(),
            "{method} {path} → {} {}: {problems:#?}",
            answer.status,
            answer.body
        );
        self.seen
            .lock()
            .unwrap()
            .insert((method.to_owned(), template.to_owned()));
        answer
    }

    async fn ok(&self, method: &str, template: &str, ids: &[&str], body: Option<Value>) -> Value {
        let answer = self.call(method, template, ids, "", body).await;
        assert_eq!(answer.status, 200, "{method} {template}: {}", answer.body);
        answer.body
    }
}

const COMMUNITIES: &str = "/admin/v1/communities";
const COMMUNITY: &str = "/admin/v1/communities/{community_id}";
const MEMBERS: &str = "/admin/v1/communities/{community_id}/members";
const OWNER: &str = "/admin/v1/communities/{community_id}/owner";
const IMPORT: &str = "/admin/v1/communities/{community_id}/members/import";
const MEMBER: &str = "/admin/v1/communities/{community_id}/members/{user_id}";
const ROLE: &str = "/admin/v1/communities/{community_id}/members/{user_id}/role";
const MUTE: &str = "/admin/v1/communities/{community_id}/members/{user_id}/mute";
const BANS: &str = "/admin/v1/communities/{community_id}/bans";
const CHANNELS: &str = "/admin/v1/communities/{community_id}/channels";
const CHANNEL: &str = "/admin/v1/communities/{community_id}/channels/{channel_id}";
const MESSAGES: &str = "/admin/v1/communities/{community_id}/channels/{channel_id}/messages";
const GROUPS: &str = "/admin/v1/communities/{community_id}/groups";
const GROUP_MEMBER: &str =
    "/admin/v1/communities/{community_id}/groups/{group_id}/members/{user_id}";

#[tokio::test]
async fn a_missing_or_wrong_key_is_refused() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    for key in [None, Some("wrong"), Some("")] {
        let answer = admin
            .call_with(key, "GET", COMMUNITIES, &[], "", None)
            .await;
        assert_eq!(answer.status, 401, "{key:?}");
        assert_eq!(answer.code(), u64::from(ErrorCode::ADMIN_KEY_INVALID.0));
        assert_eq!(answer.body["error"]["name"], "admin_key_invalid");
    }
    let answer = admin
        .call_with(
            Some(&admin.key.to_uppercase()),
            "POST",
            "/admin/v1/tokens",
            &[],
            "",
            Some(json!({"user_id": "alice"})),
        )
        .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        admin.call("GET", COMMUNITIES, &[], "", None).await.status,
        200
    );
}

#[tokio::test]
async fn issued_tokens_log_in_and_reserved_ids_are_refused() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    let issued = admin
        .ok(
            "POST",
            "/admin/v1/tokens",
            &[],
            Some(json!({"user_id": "alice", "ttl_seconds": 600})),
        )
        .await;
    let token = issued["token"].as_str().unwrap();
    assert!(issued["expires_at_ms"].as_u64().unwrap() > 0);
    let mut alice = Client::connect(&server.url()).await;
    alice.hello().await;
    alice.login_ok("alice", token, "", None).await;
    for body in [
        json!({"user_id": "@admin"}),
        json!({"user_id": "@bot"}),
        json!({"user_id": ""}),
    ] {
        let answer = admin
            .call("POST", "/admin/v1/tokens", &[], "", Some(body))
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.code(), u64::from(ErrorCode::INVALID_USER_ID.0));
    }
    let answer = admin
        .call(
            "POST",
            "/admin/v1/tokens",
            &[],
            "",
            Some(json!({"user_id": "a", "ttl_seconds": 0})),
        )
        .await;
    assert_eq!(answer.code(), u64::from(ErrorCode::INVALID_ARGUMENT.0));
    let answer = admin
        .call(
            "POST",
            "/admin/v1/tokens",
            &[],
            "",
            Some(json!({"user": "a"})),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.code(), u64::from(ErrorCode::INVALID_PARAMS.0));
    // A correctly signed token for a reserved id does not log in either.
    let secret = community_server::token::TokenKey::load_or_create(server.dir.path()).unwrap();
    let forged = secret.issue("@admin", community_server::token::unix_now() + 600);
    let mut intruder = Client::connect(&server.url()).await;
    intruder.hello().await;
    let refused = intruder
        .login("@admin", &forged, "", None)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::INVALID_USER_ID);
}

#[tokio::test]
async fn owner_operations_as_the_app_admin_reach_websocket_sessions() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;

    // Create for a given owner.
    let created = admin
        .ok(
            "POST",
            COMMUNITIES,
            &[],
            Some(json!({"owner_id": "alice", "name": "Guild", "community_id": "g"})),
        )
        .await;
    assert_eq!(created["info"]["owner_id"], "alice");
    let general = created["info"]["default_channel_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Import: bob gets the community, alice sees him join.
    let imported = admin
        .ok(
            "POST",
            IMPORT,
            &["g"],
            Some(json!({"user_ids": ["bob", "carol", "alice", "@x"]})),
        )
        .await;
    assert_eq!(imported["added"], json!(["bob", "carol"]));
    assert_eq!(imported["already_members"], json!(["alice"]));
    assert_eq!(imported["failed"][0]["code"], ErrorCode::INVALID_USER_ID.0);
    assert_eq!(imported["member_count"], 3);
    bob.event_where(
        |e| matches!(e, Event::CommunityAdded { snapshot } if snapshot.info.community_id == "g"),
    )
    .await;
    alice
        .event_where(|e| matches!(e, Event::MemberJoined { member, .. } if member.user_id == "bob"))
        .await;

    // Posts: as the system and as bob.
    let system = admin
        .ok(
            "POST",
            MESSAGES,
            &["g", &general],
            Some(json!({"text": "hello all"})),
        )
        .await;
    assert_eq!(system["sender_id"], "");
    let message = bob
        .event_where(|e| matches!(e, Event::MessageCreated { message } if message.seq == system["seq"].as_u64().unwrap()))
        .await;
    let Event::MessageCreated { message } = message else {
        unreachable!()
    };
    assert!(
        matches!(message.content, MessageContent::System { ref text, .. } if text == "hello all")
    );
    let as_bob = admin
        .ok(
            "POST",
            MESSAGES,
            &["g", &general],
            Some(json!({"sender_id": "bob", "idempotency_key": "k1",
                        "content": {"type": "text", "text": "from bob"}})),
        )
        .await;
    assert_eq!(as_bob["sender_id"], "bob");
    alice
        .event_where(
            |e| matches!(e, Event::MessageCreated { message } if message.sender_id == "bob"),
        )
        .await;

    // History, paged with the WebSocket API's rules.
    let page = admin
        .call("GET", MESSAGES, &["g", &general], "?limit=1", None)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["has_more"], true);
    let older = admin
        .call(
            "GET",
            MESSAGES,
            &["g", &general],
            &format!("?before_seq={}&limit=100", page.body["messages"][0]["seq"]),
            None,
        )
        .await;
    assert!(!older.body["messages"].as_array().unwrap().is_empty());
    let too_big = admin
        .call("GET", MESSAGES, &["g", &general], "?limit=1000", None)
        .await;
    assert_eq!(too_big.status, 422);
    assert_eq!(too_big.code(), u64::from(ErrorCode::PAGE_SIZE_TOO_LARGE.0));

    // Community and channels.
    admin
        .ok("PATCH", COMMUNITY, &["g"], Some(json!({"name": "Renamed"})))
        .await;
    alice
        .event_where(|e| matches!(e, Event::CommunityUpdated { info } if info.name == "Renamed"))
        .await;
    let got = admin.ok("GET", COMMUNITY, &["g"], None).await;
    assert_eq!(got["info"]["name"], "Renamed");
    let channel = admin
        .ok("POST", CHANNELS, &["g"], Some(json!({"name": "raids"})))
        .await;
    let raids = channel["channel_id"].as_str().unwrap().to_owned();
    bob.event_where(|e| matches!(e, Event::ChannelAdded { .. }))
        .await;
    admin
        .ok(
            "PATCH",
            CHANNEL,
            &["g", &raids],
            Some(json!({"notice": "be nice"})),
        )
        .await;
    admin.ok("DELETE", CHANNEL, &["g", &raids], None).await;
    bob.event_where(|e| matches!(e, Event::ChannelRemoved { .. }))
        .await;

    // The app admin acts on the owner: ownership moves to bob (alice becomes an admin),
    // and back.
    let new_owner = admin
        .ok("PUT", OWNER, &["g"], Some(json!({"user_id": "bob"})))
        .await;
    assert_eq!(new_owner["user_id"], "bob");
    assert_eq!(new_owner["role"], "owner");
    alice
        .event_where(|e| matches!(e, Event::CommunityUpdated { info } if info.owner_id == "bob"))
        .await;
    admin
        .ok("PUT", OWNER, &["g"], Some(json!({"user_id": "alice"})))
        .await;
    let not_member = admin
        .call("PUT", OWNER, &["g"], "", Some(json!({"user_id": "zed"})))
        .await;
    assert_eq!(not_member.code(), u64::from(ErrorCode::NOT_MEMBER.0));

    // Members: roles, groups, mute, kick, ban, listing.
    let member = admin
        .ok("PUT", ROLE, &["g", "bob"], Some(json!({"role": "admin"})))
        .await;
    assert_eq!(member["role"], "admin");
    let group = admin
        .ok(
            "POST",
            GROUPS,
            &["g"],
            Some(json!({"name": "raiders", "permissions": 0})),
        )
        .await;
    let group_id = group["group_id"].as_str().unwrap().to_owned();
    let assigned = admin
        .ok("PUT", GROUP_MEMBER, &["g", &group_id, "carol"], None)
        .await;
    assert_eq!(assigned["groups"], json!([group_id]));
    admin
        .ok("DELETE", GROUP_MEMBER, &["g", &group_id, "carol"], None)
        .await;
    let muted = admin
        .ok(
            "PUT",
            MUTE,
            &["g", "carol"],
            Some(json!({"until_ms": 4_000_000_000_000_i64})),
        )
        .await;
    assert_eq!(muted["muted_until_ms"], 4_000_000_000_000_i64);
    let first = admin.call("GET", MEMBERS, &["g"], "?limit=1", None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["total_count"], 3);
    let cursor = first.body["page"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = admin
        .call(
            "GET",
            MEMBERS,
            &["g"],
            &format!("?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(second.body["page"]["items"].as_array().unwrap().len(), 2);
    let garbage = admin
        .call("GET", MEMBERS, &["g"], "?cursor=garbage", None)
        .await;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.code(), u64::from(ErrorCode::INVALID_CURSOR.0));
    admin.ok("DELETE", MEMBER, &["g", "carol"], None).await;
    alice
        .event_where(|e| matches!(e, Event::MemberLeft { user_id, .. } if user_id == "carol"))
        .await;
    admin
        .ok(
            "POST",
            BANS,
            &["g"],
            Some(json!({"user_id": "bob", "reason": "spam"})),
        )
        .await;
    bob.event_where(|e| matches!(e, Event::CommunityRemoved { .. }))
        .await;
    let refused = admin
        .ok("POST", IMPORT, &["g"], Some(json!({"user_ids": ["bob"]})))
        .await;
    assert_eq!(refused["failed"][0]["name"], "banned");

    // Any operation through /requests.
    let mute_all = admin
        .ok(
            "POST",
            "/admin/v1/requests",
            &[],
            Some(json!({"op": "set_mute_all", "params": {"community_id": "g", "muted": true}})),
        )
        .await;
    assert_eq!(mute_all["kind"], "community_info");
    let typing = admin
        .call(
            "POST",
            "/admin/v1/requests",
            &[],
            "",
            Some(json!({"op": "leave_voice", "params": {}})),
        )
        .await;
    assert_eq!(typing.code(), u64::from(ErrorCode::INVALID_ARGUMENT.0));

    // Listing and broadcast.
    admin
        .ok(
            "POST",
            COMMUNITIES,
            &[],
            Some(json!({"owner_id": "dan", "name": "Other"})),
        )
        .await;
    let listed = admin.call("GET", COMMUNITIES, &[], "?limit=1", None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let cursor = listed.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = admin
        .call("GET", COMMUNITIES, &[], &format!("?cursor={cursor}"), None)
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    let broadcast = admin
        .ok(
            "POST",
            "/admin/v1/broadcast",
            &[],
            Some(json!({"text": "maintenance"})),
        )
        .await;
    assert_eq!(broadcast["communities"], 2);
    assert_eq!(broadcast["posted"], 2);
    alice
        .event_where(|e| matches!(e, Event::MessageCreated { message } if matches!(&message.content, MessageContent::System { text, .. } if text == "maintenance")))
        .await;

    // Dismiss.
    admin.ok("DELETE", COMMUNITY, &["g"], None).await;
    alice
        .event_where(|e| matches!(e, Event::CommunityRemoved { .. }))
        .await;
    let gone = admin.call("GET", COMMUNITY, &["g"], "", None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.code(), u64::from(ErrorCode::COMMUNITY_NOT_FOUND.0));

    // Every documented route was called (and its answers checked) above.
    let seen = admin.seen.lock().unwrap().clone();
    let documented: BTreeSet<_> = openapi::routes(&admin.doc).into_iter().collect();
    let missed: Vec<_> = documented.difference(&seen).collect();
    assert!(
        missed.iter().all(|(_, path)| path == "/admin/v1/tokens"),
        "routes never called: {missed:?}"
    );
}

/// A call and the status and code it must get.
type Case = (
    &'static str,
    &'static str,
    Vec<&'static str>,
    Option<Value>,
    u16,
    ErrorCode,
);

#[tokio::test]
async fn bad_input_gets_the_websocket_api_codes() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    admin
        .ok(
            "POST",
            COMMUNITIES,
            &[],
            Some(json!({"owner_id": "alice", "name": "G", "community_id": "g"})),
        )
        .await;
    let cases: Vec<Case> = vec![
        (
            "GET",
            COMMUNITY,
            vec!["nope"],
            None,
            404,
            ErrorCode::COMMUNITY_NOT_FOUND,
        ),
        (
            "DELETE",
            MEMBER,
            vec!["g", "alice"],
            None,
            403,
            ErrorCode::CANNOT_ACT_ON_OWNER,
        ),
        (
            "DELETE",
            MEMBER,
            vec!["g", "zed"],
            None,
            404,
            ErrorCode::NOT_MEMBER,
        ),
        (
            "PATCH",
            COMMUNITY,
            vec!["g"],
            Some(json!({"name": ""})),
            422,
            ErrorCode::NAME_TOO_LONG,
        ),
        (
            "PATCH",
            COMMUNITY,
            vec!["g"],
            Some(json!({"name": 5})),
            400,
            ErrorCode::INVALID_PARAMS,
        ),
        (
            "POST",
            COMMUNITIES,
            vec![],
            Some(json!({"owner_id": "@admin", "name": "x"})),
            400,
            ErrorCode::INVALID_USER_ID,
        ),
        (
            "POST",
            COMMUNITIES,
            vec![],
            Some(json!({"owner_id": "bob", "name": "x", "community_id": "g"})),
            409,
            ErrorCode::COMMUNITY_EXISTS,
        ),
        (
            "POST",
            IMPORT,
            vec!["nope"],
            Some(json!({"user_ids": ["a"]})),
            404,
            ErrorCode::COMMUNITY_NOT_FOUND,
        ),
        (
            "POST",
            IMPORT,
            vec!["g"],
            Some(json!({"users": ["a"]})),
            400,
            ErrorCode::INVALID_PARAMS,
        ),
        (
            "POST",
            "/admin/v1/requests",
            vec![],
            Some(json!({"op": "no_such_op"})),
            400,
            ErrorCode::INVALID_PARAMS,
        ),
        ("GET", COMMUNITIES, vec![], None, 200, ErrorCode(0)),
    ];
    for (method, template, ids, body, status, code) in cases {
        let answer = admin.call(method, template, &ids, "", body).await;
        assert_eq!(
            answer.status, status,
            "{method} {template} {ids:?}: {}",
            answer.body
        );
        assert_eq!(
            answer.code(),
            u64::from(code.0),
            "{method} {template}: {}",
            answer.body
        );
    }
    // Over 1,000 users in one import: a typed limit error, nothing added.
    let users: Vec<String> = (0..1_001).map(|i| format!("user{i}")).collect();
    let answer = admin
        .call(
            "POST",
            IMPORT,
            &["g"],
            "",
            Some(json!({ "user_ids": users })),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.code(), u64::from(ErrorCode::TOO_MANY_INVITEES.0));
    let exactly: Vec<String> = (0..1_000).map(|i| format!("user{i}")).collect();
    let answer = admin
        .ok("POST", IMPORT, &["g"], Some(json!({ "user_ids": exactly })))
        .await;
    assert_eq!(answer["member_count"], 1_001);
    // No such route.
    let answer = call(
        admin.addr,
        "GET",
        "/admin/v1/nothing",
        Some(&admin.key),
        None,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.code(), u64::from(ErrorCode::UNKNOWN_OP.0));
}

#[tokio::test]
async fn a_rotated_key_replaces_the_old_one_at_once() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    assert_eq!(
        admin.call("GET", COMMUNITIES, &[], "", None).await.status,
        200
    );
    let path = server.dir.path().join(community_server::admin::KEY_FILE);
    let new_key = community_server::admin::rotate_key(&path).unwrap();
    assert_ne!(new_key, admin.key);
    let old = admin.call("GET", COMMUNITIES, &[], "", None).await;
    assert_eq!(old.status, 401);
    assert_eq!(old.code(), u64::from(ErrorCode::ADMIN_KEY_INVALID.0));
    let new = admin
        .call_with(Some(&new_key), "GET", COMMUNITIES, &[], "", None)
        .await;
    assert_eq!(new.status, 200);
    assert_eq!(server.server().admin_key().unwrap(), new_key);
}

#[tokio::test]
async fn every_route_is_documented_and_served() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server);
    let documented = openapi::routes(&admin.doc);
    let mut served: Vec<(String, String)> = community_server::admin::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    served.sort();
    assert_eq!(served, documented);
    // Each one is a route of the router (no "no such route" answer, no 405) and checks
    // the key.
    for (method, template) in &documented {
        let ids: Vec<&str> = template.matches('{').map(|_| "x").collect();
        let answer = admin
            .call_with(None, method, template, &ids, "", None)
            .await;
        assert_eq!(answer.status, 401, "{method} {template}: {}", answer.body);
        let answer = admin
            .call(method, template, &ids, "", Some(json!({})))
            .await;
        assert_ne!(
            answer.code(),
            u64::from(ErrorCode::UNKNOWN_OP.0),
            "{method} {template}"
        );
        assert_ne!(answer.status, 405, "{method} {template}");
    }
    // The checker does refuse what the document does not allow.
    let error = &admin.doc["components"]["schemas"]["Error"];
    assert!(openapi::check(&admin.doc, error, &json!({"error": {"code": 1}})).len() == 2);
    assert!(!openapi::check(&admin.doc, error, &json!({"oops": 1})).is_empty());
    let page = &admin.doc["components"]["schemas"]["CommunityPage"];
    assert!(!openapi::check(&admin.doc, page, &json!({"items": [{"name": 1}]})).is_empty());
}
