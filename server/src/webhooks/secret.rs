//! The secret every webhook request is signed with (HMAC-SHA256), so the app's backend
//! knows a request came from its server and was not replayed long after.
//!
//! The signature header is `x-community-signature: t=<unix ms>,v1=<hex>` where `<hex>` is
//! the HMAC-SHA256 of `"<unix ms>.<body>"` under the secret. The secret is the
//! configuration's, or `<data_dir>/webhook.secret` (created on first start, mode 0600, 32
//! random bytes in hex), which the backend reads once.

use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ServerError;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-community-signature";

/// The file in the data directory holding the secret when the configuration has none.
pub const SECRET_FILE: &str = "webhook.secret";

/// The signing secret.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// A secret from its bytes (a configured secret is its UTF-8 text).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// Reads `<data_dir>/webhook.secret`, creating it (32 random bytes in hex, mode 0600)
    /// when it does not exist. The file's text (trimmed) is the key.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ServerError> {
        let path = data_dir.join(SECRET_FILE);
        let io = |path: &PathBuf| {
            let path = path.clone();
            move |source| ServerError::Io { path, source }
        };
        std::fs::create_dir_all(data_dir).map_err(io(&data_dir.to_path_buf()))?;
        if !path.exists() {
            let secret: [u8; 32] = rand::random();
            let tmp = data_dir.join(format!("{SECRET_FILE}.{:016x}.tmp", rand::random::<u64>()));
            crate::token::write_private(&tmp, hex::encode(secret).as_bytes()).map_err(io(&tmp))?;
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let key = text.trim();
        if key.is_empty() {
            return Err(ServerError::BadSecret {
                path,
                reason: "empty".to_owned(),
            });
        }
        Ok(Self::new(key.as_bytes()))
    }

    /// The signature header's value for `body` sent at `at_ms`.
    pub fn sign(&self, at_ms: i64, body: &[u8]) -> String {
        format!("t={at_ms},v1={}", hex::encode(self.mac(at_ms, body)))
    }

    /// Whether `header` is a valid signature of `body` (for tests and receivers written in
    /// Rust); compared in constant time.
    pub fn verify(&self, header: &str, body: &[u8]) -> bool {
        let mut at = None;
        let mut signature = None;
        for part in header.split(',') {
            match part.split_once('=') {
                Some(("t", value)) => at = value.parse::<i64>().ok(),
                Some(("v1", value)) => signature = hex::decode(value).ok(),
                _ => {}
            }
        }
        let (Some(at), Some(signature)) = (at, signature) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return false;
        };
        mac.update(at.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    }

    fn mac(&self, at_ms: i64, body: &[u8]) -> Vec<u8> {
        // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(at_ms.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_is_seen() {
        let secret = WebhookSecret::new("s3cret");
        let header = secret.sign(1_767_229_200_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1767229200000,v1="));
        assert!(secret.verify(&header, b"{\"a\":1}"));
        assert!(!secret.verify(&header, b"{\"a\":2}"));
        assert!(!WebhookSecret::new("other").verify(&header, b"{\"a\":1}"));
        assert!(!secret.verify("t=1,v1=zz", b""));
    }

    #[test]
    fn the_secret_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let first = WebhookSecret::load_or_create(dir.path()).unwrap();
        let again = WebhookSecret::load_or_create(dir.path()).unwrap();
        assert_eq!(first.key, again.key);
        assert_eq!(first.key.len(), 64);
    }
}
