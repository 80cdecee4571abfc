//! The admin API's audit trail: one `community_server::audit` line per call, refused
//! calls included, never with the key. (A test binary of its own: it installs the global
//! log subscriber.)

mod common;

use std::sync::Mutex;

use common::TestServer;
use common::http::call;

/// Collects log output.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_call_is_audited_without_the_key() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The only test of this binary: the global subscriber sees every thread.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let server = TestServer::start().await;
    let addr = server.server().local_addr();
    let key = server.server().admin_key().unwrap();
    let ok = call(addr, "GET", "/admin/v1/communities", Some(&key), None).await;
    assert_eq!(ok.status, 200);
    let refused = call(
        addr,
        "GET",
        "/admin/v1/communities",
        Some("wrong-key"),
        None,
    )
    .await;
    assert_eq!(refused.status, 401);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let audit: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("community_server::audit"))
        .collect();
    assert_eq!(audit.len(), 2, "{text}");
    assert!(
        audit[0].contains("method=GET") && audit[0].contains("path=/admin/v1/communities"),
        "{}",
        audit[0]
    );
    assert!(audit[0].contains("outcome=ok") && audit[0].contains("status=200"));
    assert!(audit[0].contains("duration_ms="), "{}", audit[0]);
    assert!(audit[1].contains("outcome=admin_key_invalid") && audit[1].contains("status=401"));
    assert!(!text.contains(&key) && !text.contains("wrong-key"));
}
