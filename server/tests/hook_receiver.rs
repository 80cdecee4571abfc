//! The webhook client against the tests' real receiver: signed requests arrive with their
//! event id, answers and delays come back as scripted.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::hooks::{HookAnswer, HookReceiver};
use community_server::webhooks::{HookClient, HookError, HookUrl, WebhookSecret};
use serde_json::json;

#[tokio::test]
async fn the_client_and_the_receiver_agree() {
    let receiver = HookReceiver::start("k").await;
    receiver.respond(|request| match request.path.as_str() {
        "/slow" => HookAnswer::ok(json!({})).after(Duration::from_secs(5)),
        "/down" => HookAnswer::status(StatusCode::SERVICE_UNAVAILABLE),
        _ => HookAnswer::ok(json!({"echo": request.body.clone()})),
    });
    let client = HookClient::new(WebhookSecret::new("k"));
    let url = |path: &str| HookUrl::parse(&receiver.url(path)).unwrap();
    let reply = client
        .post_json(
            &url("/hook"),
            Some("ev_7"),
            br#"{"n":1}"#.to_vec(),
            common::WAIT,
        )
        .await
        .unwrap();
    assert!(reply.is_success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap(),
        json!({"echo": {"n": 1}})
    );
    let reply = client
        .post_json(&url("/down"), None, b"{}".to_vec(), common::WAIT)
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let error = client
        .post_json(
            &url("/slow"),
            None,
            b"{}".to_vec(),
            Duration::from_millis(100),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, HookError::Timeout(_)));
    let seen = receiver
        .wait_until("three requests", |r| r.len() == 3)
        .await;
    assert!(seen.iter().all(|r| r.signed));
    assert_eq!(seen[0].header("x-community-event-id"), Some("ev_7"));
    assert_eq!(seen[0].body, json!({"n": 1}));
}
