//! Which database the domain runs over: the embedded SQLite database in the data directory
//! (the single-node default, nothing to set up) or the PostgreSQL database every node of a
//! cluster shares (`--database postgres://…`, docs/MULTINODE.md). Chosen once at start
//! from the configuration; the domain is the same over both.

use std::path::Path;

use community_protocol::Limits;
use community_server_domain::Domain;

use crate::{ServerConfig, ServerError};

/// The storage engine a configuration asks for.
#[derive(Debug, Clone)]
pub(crate) enum StorageChoice {
    /// `<data_dir>/community.db`.
    Sqlite,
    /// A shared PostgreSQL database.
    Postgres {
        /// The connection string (`ServerConfig::database`).
        url: String,
        /// Connections kept at most (`ServerConfig::database_connections`).
        connections: usize,
    },
}

impl StorageChoice {
    /// The engine `config` names.
    pub(crate) fn of(config: &ServerConfig) -> Self {
        match &config.database {
            Some(url) => Self::Postgres {
                url: url.clone(),
                connections: config.database_connections,
            },
            None => Self::Sqlite,
        }
    }

    /// Opens the database (running its numbered migrations) and the domain over it.
    /// Blocking: call it off the async threads.
    pub(crate) fn open(self, data_dir: &Path, limits: Limits) -> Result<Domain, ServerError> {
        match self {
            Self::Sqlite => Ok(Domain::open(data_dir, limits)?),
            Self::Postgres { url, connections } => open_postgres(&url, connections, limits),
        }
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str, connections: usize, limits: Limits) -> Result<Domain, ServerError> {
    use community_server_domain::store::postgres::{PgOptions, PgStore};
    let options = PgOptions {
        max_connections: connections,
        ..PgOptions::default()
    };
    let _span = tracing::info_span!("open_database", engine = "postgres").entered();
    let store = PgStore::open(url, &options)?;
    Ok(Domain::with_store(Box::new(store), limits))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str, _connections: usize, _limits: Limits) -> Result<Domain, ServerError> {
    Err(ServerError::InvalidConfig {
        field: "database".into(),
        reason: "this build of community-server has no PostgreSQL support (cargo feature \
                 `postgres`)"
            .into(),
    })
}
