//! A real HTTP webhook receiver for the tests, on 127.0.0.1:0: it records every request
//! (path, headers, body as JSON, whether its signature verifies) and answers each with what
//! the test's responder decides — a status, a JSON body, and an optional delay before
//! answering (to play a slow or hanging backend).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use community_server::webhooks::{SIGNATURE_HEADER, WebhookSecret};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::WAIT;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct HookRequest {
    /// The request's path (with the query).
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, parsed.
    pub body: Value,
    /// Whether the signature header verifies under the receiver's secret.
    pub signed: bool,
}

impl HookRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the receiver answers to one request.
#[derive(Debug, Clone)]
pub struct HookAnswer {
    /// The status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: Value,
    /// Waits this long before answering.
    pub delay: Duration,
}

impl HookAnswer {
    /// 200 with this body, at once.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            delay: Duration::ZERO,
        }
    }

    /// A failure status with an empty object, at once.
    pub fn status(status: StatusCode) -> Self {
        Self {
            status,
            body: Value::Object(Default::default()),
            delay: Duration::ZERO,
        }
    }

    /// The same answer after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Responder = dyn Fn(&HookRequest) -> HookAnswer + Send + Sync;

struct Inner {
    secret: WebhookSecret,
    responder: Mutex<Arc<Responder>>,
    seen: Mutex<Vec<HookRequest>>,
    arrived: Notify,
}

/// The receiver; stops when dropped.
pub struct HookReceiver {
    inner: Arc<Inner>,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HookReceiver {
    /// Starts a receiver verifying signatures with `secret` and answering 200 `{}` until
    /// told otherwise ([`HookReceiver::respond`]).
    pub async fn start(secret: &str) -> HookReceiver {
        let inner = Arc::new(Inner {
            secret: WebhookSecret::new(secret.as_bytes()),
            responder: Mutex::new(Arc::new(|_: &HookRequest| {
                HookAnswer::ok(Value::Object(Default::default()))
            })),
            seen: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&inner));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HookReceiver { inner, base, task }
    }

    /// The URL of `path` on this receiver (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers every request from now on with what `responder` says.
    pub fn respond(&self, responder: impl Fn(&HookRequest) -> HookAnswer + Send + Sync + 'static) {
        *self.inner.responder.lock().unwrap() = Arc::new(responder);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<HookRequest> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// The requests to `path` so far.
    pub fn requests_to(&self, path: &str) -> Vec<HookRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits (at most [`WAIT`]) until `done` holds for the requests so far, and returns
    /// them; panics with `what` otherwise.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[HookRequest]) -> bool,
    ) -> Vec<HookRequest> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let seen = self.requests();
            if done(&seen) {
                return seen;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("webhook receiver: {what} did not happen; got {seen:#?}");
            }
        }
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| inner.secret.verify(h, &body));
    let request = HookRequest {
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signed,
    };
    let responder = Arc::clone(&inner.responder.lock().unwrap());
    let answer = responder(&request);
    inner.seen.lock().unwrap().push(request);
    inner.arrived.notify_waiters();
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    (answer.status, axum::Json(answer.body)).into_response()
}
