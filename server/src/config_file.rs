//! The configuration file of `community-server serve --config <file.toml>`: every knob of
//! [`ServerConfig`] and every limit of PRODUCT.md (`[limits]`, the fields of
//! `community_protocol::Limits`) in one TOML file, so a deployment is reproducible.
//!
//! Every key is optional; an absent key keeps the default of [`ServerConfig::new`]. An
//! unknown key (a typo) is refused, not ignored, and so is a value out of range
//! ([`ServerConfig::validate`]): the server does not start, and the error names the key.
//! Command-line flags override the file (see `cli`). `server/community-server.example.toml`
//! is a commented sample with every key at its default.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use community_protocol::Limits;
use serde::Deserialize;

use crate::{ServerConfig, ServerError};

/// Where a server listens when neither the file nor a flag says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7600";
/// The data directory when neither the file nor a flag says.
pub const DEFAULT_DATA_DIR: &str = "./data";

/// The configuration file's contents. Durations are whole seconds (`…_secs`) or
/// milliseconds (`…_ms`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address to listen on (default `127.0.0.1:7600`).
    pub listen: Option<SocketAddr>,
    /// Data directory (default `./data`).
    pub data_dir: Option<PathBuf>,
    /// `ServerConfig::admin_key_file` (default `<data_dir>/admin.key`).
    pub admin_key_file: Option<PathBuf>,
    /// `ServerConfig::heartbeat_interval`.
    pub heartbeat_secs: Option<u64>,
    /// `ServerConfig::session_linger`.
    pub session_linger_secs: Option<u64>,
    /// `ServerConfig::handshake_timeout`.
    pub handshake_timeout_secs: Option<u64>,
    /// `ServerConfig::write_timeout`.
    pub write_timeout_secs: Option<u64>,
    /// `ServerConfig::shutdown_grace`.
    pub shutdown_grace_secs: Option<u64>,
    /// `ServerConfig::max_connections`.
    pub max_connections: Option<usize>,
    /// `ServerConfig::max_frame_bytes`.
    pub max_frame_bytes: Option<usize>,
    /// `ServerConfig::compress_min_bytes`.
    pub compress_min_bytes: Option<usize>,
    /// `ServerConfig::session_queue_capacity`.
    pub session_queue_capacity: Option<usize>,
    /// `ServerConfig::resume_buffer_events`.
    pub resume_buffer_events: Option<usize>,
    /// `ServerConfig::max_sessions_per_user`.
    pub max_sessions_per_user: Option<usize>,
    /// `ServerConfig::max_pending_responses`.
    pub max_pending_responses: Option<usize>,
    /// `ServerConfig::ws_read_buffer_bytes`.
    pub ws_read_buffer_bytes: Option<usize>,
    /// `ServerConfig::ws_write_buffer_bytes`.
    pub ws_write_buffer_bytes: Option<usize>,
    /// `ServerConfig::thread_digest_interval`.
    pub thread_digest_interval_ms: Option<u64>,
    /// `ServerConfig::presence_grace`.
    pub presence_grace_ms: Option<u64>,
    /// `ServerConfig::nats` (`nats://host:port`).
    pub nats: Option<String>,
    /// `ServerConfig::database` (`postgres://…`; absent: SQLite in the data directory).
    pub database: Option<String>,
    /// `ServerConfig::database_connections`.
    pub database_connections: Option<usize>,
    /// `ServerConfig::secret_file` (default `<data_dir>/server.secret`).
    pub secret_file: Option<PathBuf>,
    /// `ServerConfig::cluster_reorder_window`.
    pub cluster_reorder_window_ms: Option<u64>,
    /// `ServerConfig::cluster_reorder_held`.
    pub cluster_reorder_held: Option<usize>,
    /// `ServerConfig::cluster_heartbeat_interval`.
    pub cluster_heartbeat_interval_ms: Option<u64>,
    /// Limits by field name of `community_protocol::Limits`; absent ones keep their
    /// defaults.
    #[serde(default)]
    pub limits: toml::Table,
    /// `ServerConfig::webhooks`.
    #[serde(default)]
    pub webhooks: WebhooksFile,
}

/// The `[webhooks]` table (`crate::webhooks::WebhookConfig`); every key optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksFile {
    /// `before_send_url`: `http://host:port/path`.
    pub before_send_url: Option<String>,
    /// `before_send_timeout`, in milliseconds.
    pub before_send_timeout_ms: Option<u64>,
    /// `before_send_default`: `"allow"` or `"reject"`.
    pub before_send_default: Option<String>,
    /// `events_url`.
    pub events_url: Option<String>,
    /// `event_retry_delays`, in milliseconds.
    pub event_retry_delays_ms: Option<Vec<u64>>,
    /// `request_timeout`, in milliseconds.
    pub request_timeout_ms: Option<u64>,
    /// `push_url`.
    pub push_url: Option<String>,
    /// `secret` (else `<data_dir>/webhook.secret`).
    pub secret: Option<String>,
}

impl WebhooksFile {
    /// Applies the keys present to `config`; a bad URL or default names its key.
    pub fn apply(self, config: &mut crate::webhooks::WebhookConfig) -> Result<(), ServerError> {
        use crate::webhooks::{BeforeSendDefault, HookUrl};
        let url = |field: &str, text: Option<String>| -> Result<Option<HookUrl>, ServerError> {
            text.map(|text| {
                HookUrl::parse(&text).map_err(|reason| ServerError::InvalidConfig {
                    field: format!("webhooks.{field}"),
                    reason,
                })
            })
            .transpose()
        };
        if let Some(found) = url("before_send_url", self.before_send_url)? {
            config.before_send_url = Some(found);
        }
        if let Some(found) = url("events_url", self.events_url)? {
            config.events_url = Some(found);
        }
        if let Some(found) = url("push_url", self.push_url)? {
            config.push_url = Some(found);
        }
        set(
            &mut config.before_send_timeout,
            self.before_send_timeout_ms.map(Duration::from_millis),
        );
        set(
            &mut config.request_timeout,
            self.request_timeout_ms.map(Duration::from_millis),
        );
        if let Some(delays) = self.event_retry_delays_ms {
            config.event_retry_delays = delays.into_iter().map(Duration::from_millis).collect();
        }
        if let Some(text) = self.before_send_default {
            config.before_send_default =
                BeforeSendDefault::parse(&text).ok_or_else(|| ServerError::InvalidConfig {
                    field: "webhooks.before_send_default".into(),
                    reason: format!("{text:?} is neither \"allow\" nor \"reject\""),
                })?;
        }
        if self.secret.is_some() {
            config.secret = self.secret;
        }
        Ok(())
    }
}

impl ConfigFile {
    /// Reads and parses a configuration file (unknown keys are refused).
    pub fn load(path: &Path) -> Result<ConfigFile, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|source| ServerError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| ServerError::ConfigFile {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses the text of a configuration file; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        toml::from_str(text).map_err(|error| error.to_string().trim_end().to_owned())
    }

    /// Sets one limit (as `--limit name=value` does), replacing the file's value.
    pub fn set_limit(&mut self, name: &str, value: i64) {
        self.limits
            .insert(name.to_owned(), toml::Value::Integer(value));
    }

    /// The server configuration: the defaults, overwritten by every key present, then
    /// validated ([`ServerConfig::validate`]).
    pub fn into_config(self) -> Result<ServerConfig, ServerError> {
        let listen = match self.listen {
            Some(listen) => listen,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(
                    |error: std::net::AddrParseError| ServerError::InvalidConfig {
                        field: "listen".into(),
                        reason: error.to_string(),
                    },
                )?,
        };
        let data_dir = self
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let mut config = ServerConfig::new(listen, data_dir);
        config.limits = limits(self.limits)?;
        config.admin_key_file = self.admin_key_file;
        config.nats = self.nats;
        config.database = self.database;
        config.secret_file = self.secret_file;
        set(&mut config.database_connections, self.database_connections);
        let secs = Duration::from_secs;
        set(
            &mut config.heartbeat_interval,
            self.heartbeat_secs.map(secs),
        );
        set(
            &mut config.session_linger,
            self.session_linger_secs.map(secs),
        );
        set(
            &mut config.handshake_timeout,
            self.handshake_timeout_secs.map(secs),
        );
        set(&mut config.write_timeout, self.write_timeout_secs.map(secs));
        set(
            &mut config.shutdown_grace,
            self.shutdown_grace_secs.map(secs),
        );
        set(&mut config.max_connections, self.max_connections);
        set(&mut config.max_frame_bytes, self.max_frame_bytes);
        set(&mut config.compress_min_bytes, self.compress_min_bytes);
        set(
            &mut config.session_queue_capacity,
            self.session_queue_capacity,
        );
        set(&mut config.resume_buffer_events, self.resume_buffer_events);
        set(
            &mut config.max_sessions_per_user,
            self.max_sessions_per_user,
        );
        set(
            &mut config.max_pending_responses,
            self.max_pending_responses,
        );
        set(&mut config.ws_read_buffer_bytes, self.ws_read_buffer_bytes);
        set(
            &mut config.ws_write_buffer_bytes,
            self.ws_write_buffer_bytes,
        );
        set(
            &mut config.thread_digest_interval,
            self.thread_digest_interval_ms.map(Duration::from_millis),
        );
        set(
            &mut config.presence_grace,
            self.presence_grace_ms.map(Duration::from_millis),
        );
        set(
            &mut config.cluster_reorder_window,
            self.cluster_reorder_window_ms.map(Duration::from_millis),
        );
        set(&mut config.cluster_reorder_held, self.cluster_reorder_held);
        set(
            &mut config.cluster_heartbeat_interval,
            self.cluster_heartbeat_interval_ms
                .map(Duration::from_millis),
        );
        self.webhooks.apply(&mut config.webhooks)?;
        config.validate()?;
        Ok(config)
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// The names of every limit (the fields of `Limits`, as they appear in TOML and JSON).
pub fn limit_names() -> BTreeSet<String> {
    match serde_json::to_value(Limits::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.into_iter().map(|(k, _)| k).collect(),
        _ => BTreeSet::new(),
    }
}

/// The limits of a `[limits]` table: unknown names are refused, absent ones keep their
/// defaults.
fn limits(table: toml::Table) -> Result<Limits, ServerError> {
    let known = limit_names();
    if let Some(unknown) = table.keys().find(|name| !known.contains(*name)) {
        return Err(ServerError::InvalidConfig {
            field: format!("limits.{unknown}"),
            reason: format!(
                "no such limit; the limits are {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    toml::Value::Table(table)
        .try_into::<Limits>()
        .map_err(|error| ServerError::InvalidConfig {
            field: "limits".into(),
            reason: error.to_string().trim_end().to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<ServerConfig, ServerError>) -> String {
        match result {
            Err(ServerError::InvalidConfig { field, .. }) => field,
            other => panic!("expected an invalid configuration, got {other:?}"),
        }
    }

    #[test]
    fn the_example_file_parses_and_is_the_defaults() {
        let text = include_str!("../community-server.example.toml");
        let file = ConfigFile::parse(text).unwrap();
        let config = file.clone().into_config().unwrap();
        let defaults = ServerConfig::new(DEFAULT_LISTEN.parse().unwrap(), DEFAULT_DATA_DIR);
        assert_eq!(config.limits, defaults.limits);
        assert_eq!(config.listen, defaults.listen);
        assert_eq!(config.handshake_timeout, defaults.handshake_timeout);
        assert_eq!(config.max_connections, defaults.max_connections);
        assert_eq!(config.max_frame_bytes, defaults.max_frame_bytes);
        assert_eq!(config.heartbeat_interval, defaults.heartbeat_interval);
        assert_eq!(
            config.thread_digest_interval,
            defaults.thread_digest_interval
        );
        assert_eq!(config.presence_grace, defaults.presence_grace);
        // The sample names every limit, so it documents all of them.
        let named: BTreeSet<String> = file.limits.keys().cloned().collect();
        assert_eq!(named, limit_names());
    }

    #[test]
    fn ceilings_are_enforced() {
        let with = |name: &str, value: i64| {
            let mut file = ConfigFile::default();
            file.set_limit(name, value);
            file.into_config()
        };
        assert_eq!(
            field_of(with("max_channels_per_community", 1_001)),
            "limits.max_channels_per_community"
        );
        assert_eq!(
            field_of(with("max_joined_communities", 501)),
            "limits.max_joined_communities"
        );
        let config = with("max_channels_per_community", 1_000).unwrap();
        assert_eq!(config.limits.max_channels_per_community, 1_000);
        let config = with("max_joined_communities", 500).unwrap();
        assert_eq!(config.limits.max_joined_communities, 500);
        let config = with("max_members_per_community", 0).unwrap();
        assert_eq!(config.limits.max_members_per_community, 0, "unlimited");
        assert_eq!(field_of(with("max_page_size", 101)), "limits.max_page_size");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = ConfigFile::parse("listen = \"127.0.0.1:1\"\nheartbeat_sec = 5\n").unwrap_err();
        assert!(error.contains("heartbeat_sec"), "{error}");
        let file = ConfigFile::parse("[limits]\nmax_channel_per_community = 5\n").unwrap();
        assert_eq!(
            field_of(file.into_config()),
            "limits.max_channel_per_community"
        );
    }

    #[test]
    fn a_limit_of_the_wrong_type_is_refused() {
        let file = ConfigFile::parse("[limits]\ntext_bytes = \"big\"\n").unwrap();
        assert_eq!(field_of(file.into_config()), "limits");
        let file = ConfigFile::parse("[limits]\nmax_page_size = -1\n").unwrap();
        assert_eq!(field_of(file.into_config()), "limits");
    }

    #[test]
    fn a_text_limit_must_fit_in_a_frame() {
        let file =
            ConfigFile::parse("max_frame_bytes = 65536\n[limits]\ntext_bytes = 65536\n").unwrap();
        assert_eq!(field_of(file.into_config()), "max_frame_bytes");
        let file =
            ConfigFile::parse("max_frame_bytes = 200000\n[limits]\ntext_bytes = 65536\n").unwrap();
        assert_eq!(file.into_config().unwrap().limits.text_bytes, 65_536);
        // The custom data travels in the same frame.
        let file = ConfigFile::parse("max_frame_bytes = 14000\n").unwrap();
        assert_eq!(field_of(file.into_config()), "max_frame_bytes");
        let file = ConfigFile::parse("max_frame_bytes = 14080\n").unwrap();
        assert_eq!(file.into_config().unwrap().limits.custom_data_bytes, 1_024);
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "nonsense = true\n").unwrap();
        let error = ConfigFile::load(&path).unwrap_err();
        assert!(matches!(error, ServerError::ConfigFile { .. }), "{error:?}");
        assert!(error.to_string().contains("bad.toml"), "{error}");
        assert!(error.to_string().contains("nonsense"), "{error}");
    }

    #[test]
    fn the_webhooks_table_is_read_and_checked() {
        let config = ConfigFile::parse(
            "[webhooks]\nbefore_send_url = \"http://127.0.0.1:9/check\"\n\
             before_send_timeout_ms = 250\nbefore_send_default = \"reject\"\n\
             event_retry_delays_ms = [10, 20]\npush_url = \"http://backend/push\"\n",
        )
        .unwrap()
        .into_config()
        .unwrap();
        let hooks = &config.webhooks;
        assert_eq!(
            hooks.before_send_url.as_ref().map(|u| u.to_string()),
            Some("http://127.0.0.1:9/check".to_owned())
        );
        assert_eq!(hooks.before_send_timeout, Duration::from_millis(250));
        assert_eq!(
            hooks.before_send_default,
            crate::webhooks::BeforeSendDefault::Reject
        );
        assert_eq!(
            hooks.event_retry_delays,
            vec![Duration::from_millis(10), Duration::from_millis(20)]
        );
        assert!(hooks.events_url.is_none());
        for (text, field) in [
            (
                "[webhooks]\npush_url = \"https://x/\"\n",
                "webhooks.push_url",
            ),
            (
                "[webhooks]\nbefore_send_default = \"maybe\"\n",
                "webhooks.before_send_default",
            ),
        ] {
            assert_eq!(
                field_of(ConfigFile::parse(text).unwrap().into_config()),
                field
            );
        }
        assert!(ConfigFile::parse("[webhooks]\nurl = \"http://x/\"\n").is_err());
    }
}
