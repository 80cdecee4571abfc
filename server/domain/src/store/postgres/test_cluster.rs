//! A throwaway PostgreSQL cluster for tests: `initdb` into a fresh temporary directory,
//! `postgres` listening on 127.0.0.1 on a free port (no Unix socket outside the directory),
//! stopped and deleted on drop. When the process ends without dropping it (a cluster in a
//! `static`), a small watcher shell stops the server and deletes the directory once the
//! test process is gone, so no cluster outlives its tests.
//!
//! `initdb` and `postgres` refuse to run as root: as root, everything runs as the
//! `postgres` user (`runuser -u postgres --`) in a directory owned by it.
//!
//! When the PostgreSQL binaries are not installed ([`TestCluster::start`] returns
//! `Ok(None)`), tests print "skipped: PostgreSQL not installed" and pass. On Debian:
//! `apt-get install -y postgresql` (the binaries land in `/usr/lib/postgresql/<v>/bin`);
//! `COMMUNITY_PG_BIN` names another directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the cluster may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running throwaway cluster; stopped and deleted on drop.
pub struct TestCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    durability: Durability,
    watcher: Option<Child>,
}

/// Whether the cluster's commits reach the disk before they are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync`, `synchronous_commit` and `full_page_writes` off: fast, and what a test
    /// needs (the cluster is deleted afterwards anyway).
    Throwaway,
    /// PostgreSQL's defaults: a commit is answered after its WAL is flushed, as in a
    /// production deployment (for benchmarks of the acknowledgement's latency).
    Durable,
}

/// Why a cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A command could not run or failed.
    #[error("{0}")]
    Command(String),
    /// The file system refused.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl TestCluster {
    /// Starts a [`Durability::Throwaway`] cluster; `Ok(None)` when PostgreSQL is not
    /// installed.
    pub fn start() -> Result<Option<TestCluster>, ClusterError> {
        Self::start_with(Durability::Throwaway)
    }

    /// Starts a cluster with the given durability; `Ok(None)` when PostgreSQL is not
    /// installed.
    pub fn start_with(durability: Durability) -> Result<Option<TestCluster>, ClusterError> {
        let Some(bin) = find_bin() else {
            return Ok(None);
        };
        let as_postgres = is_root();
        let dir = fresh_dir()?;
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        let data = dir.join("data");
        let mut initdb = command(as_postgres, &bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .args(["--locale=C", "--no-instructions"]);
        run(&mut initdb)?;
        // A port that was free a moment ago may be taken by the time postgres binds it:
        // try a few.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut cluster = TestCluster {
                bin: bin.clone(),
                dir: dir.clone(),
                port,
                as_postgres,
                durability,
                watcher: None,
            };
            match cluster.launch() {
                Ok(()) => return Ok(Some(cluster)),
                Err(error) => {
                    last = error.to_string();
                    cluster.stop();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(ClusterError::Command(format!(
            "postgres did not start: {last}"
        )))
    }

    /// The port the cluster listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection string for `database` as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={database} connect_timeout=10",
            self.port
        )
    }

    /// Creates a fresh, empty database with a random name and returns its name.
    #[cfg(feature = "postgres")]
    pub fn create_database(&self) -> Result<String, ClusterError> {
        use std::sync::atomic::{AtomicU32, Ordering};

        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|error| ClusterError::Command(format!("connect: {error}")))?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|error| ClusterError::Command(format!("create database: {error}")))?;
        Ok(name)
    }

    fn launch(&mut self) -> Result<(), ClusterError> {
        let data = self.dir.join("data");
        let postgres = self.bin.join("postgres");
        // The watcher: runs postgres, and stops it (then deletes the directory) when
        // postgres ends or the test process is gone.
        let speed = match self.durability {
            Durability::Throwaway => "-F -c synchronous_commit=off -c full_page_writes=off",
            Durability::Durable => "",
        };
        let script = format!(
            "{postgres} -D {data} -p {port} -h 127.0.0.1 -k {dir} {speed} \
             -c max_connections=300 -c shared_buffers=32MB >{dir}/log 2>&1 & pg=$!; \
             while [ -d /proc/{owner} ] && kill -0 $pg 2>/dev/null; do sleep 0.3; done; \
             kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
            postgres = quote(&postgres),
            data = quote(&data),
            dir = quote(&self.dir),
            port = self.port,
            owner = std::process::id(),
        );
        let mut sh = command(self.as_postgres, Path::new("sh"));
        sh.arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.watcher = Some(sh.spawn()?);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-t", "2", "-p"])
                .arg(self.port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            if ready.success() {
                return Ok(());
            }
            if let Some(watcher) = self.watcher.as_mut()
                && let Some(status) = watcher.try_wait()?
            {
                let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
                return Err(ClusterError::Command(format!(
                    "postgres exited ({status}): {log}"
                )));
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::Command(
                    "postgres did not become ready".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (fast shutdown, bounded) and waits for the watcher.
    fn stop(&mut self) {
        if let Some(mut watcher) = self.watcher.take() {
            let mut stop = command(self.as_postgres, &self.bin.join("pg_ctl"));
            stop.arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "fast", "-w", "-t", "20", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = stop.status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = watcher.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // Only the watcher this fixture started, by its id.
            if let Ok(None) = watcher.try_wait() {
                let _ = watcher.kill();
                let _ = watcher.wait();
            }
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory of the PostgreSQL binaries: `COMMUNITY_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("COMMUNITY_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn fresh_dir() -> Result<PathBuf, ClusterError> {
    let dir = std::env::temp_dir().join(format!(
        "community-pg-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `program`, run as the `postgres` user when `as_postgres`.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<(), ClusterError> {
    let out = command.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ClusterError::Command(format!(
            "{:?} failed: {}{}",
            command,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// Single-quotes a path for `sh`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The cluster shared by every test of this process, started by the first caller; `None`
/// when PostgreSQL is not installed (the caller prints "skipped: PostgreSQL not
/// installed" and passes). It is never dropped: its watcher stops it and deletes its
/// directory once the process has ended.
///
/// # Panics
/// When PostgreSQL is installed but the cluster cannot start (a test fixture).
#[allow(clippy::panic)]
pub fn shared() -> Option<&'static TestCluster> {
    static SHARED: std::sync::OnceLock<Option<TestCluster>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| match TestCluster::start() {
            Ok(cluster) => cluster,
            Err(error) => panic!("the test PostgreSQL cluster did not start: {error}"),
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::TestCluster;

    /// A cluster starts, accepts connections on 127.0.0.1, and leaves nothing behind when
    /// dropped.
    #[test]
    fn starts_and_cleans_up() {
        let Some(cluster) = TestCluster::start().unwrap() else {
            println!("skipped: PostgreSQL not installed");
            return;
        };
        let port = cluster.port();
        let dir = cluster.dir.clone();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(cluster);
        assert!(!dir.exists(), "{} left behind", dir.display());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
