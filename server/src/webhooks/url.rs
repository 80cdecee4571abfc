//! A webhook endpoint's address: `http://host[:port]/path`, parsed once when the
//! configuration is read, so a typo stops the server at start instead of at the first
//! message.
//!
//! Plain HTTP only: a deployment reaches an HTTPS backend through a local relay (a
//! sidecar or its load balancer). Every request is signed, so the body cannot be forged;
//! docs/WEBHOOKS.md says so.

use std::fmt;

/// A parsed `http://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HookUrl {
    host: String,
    port: u16,
    path: String,
}

impl HookUrl {
    /// Parses `http://host[:port][/path][?query]` (IPv6 hosts in brackets). Refuses other
    /// schemes, user info and fragments.
    pub fn parse(text: &str) -> Result<HookUrl, String> {
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| format!("{text:?}: only http:// endpoints are supported"))?;
        if rest.contains('#') {
            return Err(format!("{text:?}: a fragment has no meaning here"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("{text:?}: expected http://host[:port]/path"));
        }
        let (host, port) = split_port(authority).ok_or_else(|| format!("{text:?}: bad port"))?;
        if host.is_empty() {
            return Err(format!("{text:?}: no host"));
        }
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        Ok(HookUrl {
            host: host.to_owned(),
            port,
            path,
        })
    }

    /// The host (without brackets for IPv6).
    pub fn host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The port (80 when absent).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path and query, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `Host` header's value.
    pub fn authority(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_port(authority: &str) -> Option<(&str, u16)> {
    let after_host = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.rfind(':').unwrap_or(authority.len())
    };
    let (host, port) = authority.split_at(after_host);
    match port.strip_prefix(':') {
        Some(port) => Some((host, port.parse().ok()?)),
        None if port.is_empty() => Some((host, 80)),
        None => None,
    }
}

impl fmt::Display for HookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.path)
    }
}

impl std::str::FromStr for HookUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        HookUrl::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let url = HookUrl::parse("http://127.0.0.1:8080/hooks/before-send?x=1").unwrap();
        assert_eq!(
            (url.host(), url.port(), url.path()),
            ("127.0.0.1", 8080, "/hooks/before-send?x=1")
        );
        assert_eq!(
            url.to_string(),
            "http://127.0.0.1:8080/hooks/before-send?x=1"
        );
        let url = HookUrl::parse("http://backend").unwrap();
        assert_eq!((url.host(), url.port(), url.path()), ("backend", 80, "/"));
        let url = HookUrl::parse("http://[::1]:9000/p").unwrap();
        assert_eq!(
            (url.host(), url.port(), url.authority()),
            ("::1", 9000, "[::1]:9000".into())
        );
    }

    #[test]
    fn other_schemes_and_bad_ports_are_refused() {
        for bad in [
            "https://x/",
            "ftp://x",
            "http://",
            "http://x:port/",
            "http://u@x/",
            "http://x/#f",
            "http://x:99999/",
        ] {
            assert!(HookUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
