//! The shared services a server cluster runs on, started by the tests themselves on
//! 127.0.0.1: a `nats-server` of the test's own on a free port ([`NatsServer`], killed on
//! drop) and a fresh database in the process's throwaway PostgreSQL cluster
//! ([`fresh_database`]). Both answer `None` when the Debian package is missing (the test
//! command installs `nats-server` and `postgresql`), so a test can skip with a note.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

use crate::{TestResult, WAIT, fail};

/// Where the Debian package puts the NATS server.
pub const NATS_BIN: &str = "/usr/sbin/nats-server";

/// A running `nats-server` on 127.0.0.1, killed on drop.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
}

impl NatsServer {
    /// Starts one on a free port; `Ok(None)` (after a note) when the binary is missing.
    pub async fn start() -> TestResult<Option<NatsServer>> {
        if !Path::new(NATS_BIN).exists() {
            eprintln!("skipped: {NATS_BIN} is not installed (apt-get install nats-server)");
            return Ok(None);
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut server = NatsServer { child: None, port };
        server.run().await?;
        Ok(Some(server))
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL); the port stays this fixture's for [`NatsServer::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`NatsServer::stop`], or kills it first).
    pub async fn restart(&mut self) -> TestResult {
        self.stop();
        self.run().await
    }

    async fn run(&mut self) -> TestResult {
        let child = Command::new(NATS_BIN)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            if tokio::time::Instant::now() >= deadline {
                return fail("nats-server never listened");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh, empty database in the process's throwaway PostgreSQL cluster (started on
/// first use, stopped when the process ends): its connection string, or `Ok(None)` (after
/// a note) when PostgreSQL is not installed.
pub async fn fresh_database() -> TestResult<Option<String>> {
    let created = tokio::task::spawn_blocking(|| {
        use community_server_domain::store::pg_test_cluster;
        let Some(cluster) = pg_test_cluster::shared() else {
            return Ok(None);
        };
        let name = cluster.create_database()?;
        Ok::<_, pg_test_cluster::ClusterError>(Some(cluster.url(&name)))
    })
    .await??;
    if created.is_none() {
        eprintln!("skipped: PostgreSQL is not installed (apt-get install postgresql)");
    }
    Ok(created)
}
