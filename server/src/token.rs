//! Login tokens: HMAC-SHA256 over the user id and an expiry, with the deployment secret.
//!
//! The secret is 32 random bytes, written hex-encoded to `<data_dir>/server.secret` (mode
//! 0600) the first time anything needs it; the server and the `token` command of the CLI
//! (and [`crate::issue_token`]) read the same file, so tokens issued offline verify on the
//! server of that data directory.
//!
//! Token format (ASCII, no padding):
//!
//! ```text
//! v1.<base64url(user_id)>.<expiry: unix seconds>.<hex(HMAC-SHA256(secret, "v1.<base64url(user_id)>.<expiry>"))>
//! ```
//!
//! Verification recomputes the MAC and compares it in constant time (`hmac`'s
//! `verify_slice`), then checks the expiry, then the user.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use community_protocol::{ApiError, ErrorCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ServerError;

type HmacSha256 = Hmac<Sha256>;

/// Name of the secret file inside the data directory.
pub const SECRET_FILE: &str = "server.secret";
const VERSION: &str = "v1";
const SECRET_BYTES: usize = 32;

/// Why a token was refused. Each maps to one wire error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of this format.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The signature does not verify with this deployment's secret.
    #[error("token signature does not verify")]
    Forged,
    /// The token expired at this time (unix seconds).
    #[error("token expired at {0} (unix seconds)")]
    Expired(u64),
    /// The token was issued for another user.
    #[error("token was issued for another user")]
    UserMismatch,
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        let code = match error {
            TokenError::Malformed(_) => ErrorCode::TOKEN_MALFORMED,
            TokenError::Forged => ErrorCode::TOKEN_FORGED,
            TokenError::Expired(_) => ErrorCode::TOKEN_EXPIRED,
            TokenError::UserMismatch => ErrorCode::TOKEN_USER_MISMATCH,
        };
        ApiError::new(code, error.to_string())
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user it was issued for.
    pub user_id: String,
    /// When it expires, in unix seconds.
    pub expires_at: u64,
}

/// The deployment secret, able to issue and verify tokens.
#[derive(Clone)]
pub struct TokenKey {
    secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// A key from raw secret bytes (tests and embedders with their own secret store).
    pub fn from_secret(secret: [u8; SECRET_BYTES]) -> Self {
        Self { secret }
    }

    /// Reads `<data_dir>/server.secret`, creating the directory and a fresh random secret
    /// (mode 0600) when it does not exist yet ([`TokenKey::load_or_create_file`]).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ServerError> {
        Self::load_or_create_file(&data_dir.join(SECRET_FILE))
    }

    /// Reads the secret file at `path`, creating its directory and a fresh random secret
    /// (mode 0600) when it does not exist yet. Safe against a concurrent first use: the
    /// secret is written to a temporary file and linked into place only if no other
    /// process got there first. Nodes of one cluster point this at the same secret.
    pub fn load_or_create_file(path: &Path) -> Result<Self, ServerError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ServerError::Io { path, source }
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        if !path.exists() {
            let secret: [u8; SECRET_BYTES] = rand::random();
            let tmp = dir.join(format!("{SECRET_FILE}.{:016x}.tmp", rand::random::<u64>()));
            write_private(&tmp, hex::encode(secret).as_bytes()).map_err(io(&tmp))?;
            let linked = std::fs::hard_link(&tmp, path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => return Ok(Self { secret }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(path)(e)),
            }
        }
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        Self::parse(path, text.trim())
    }

    fn parse(path: &Path, text: &str) -> Result<Self, ServerError> {
        let bad = |reason: &str| ServerError::BadSecret {
            path: PathBuf::from(path),
            reason: reason.to_owned(),
        };
        let bytes = hex::decode(text).map_err(|_| bad("not hex"))?;
        let secret: [u8; SECRET_BYTES] = bytes
            .try_into()
            .map_err(|_| bad("expected 32 bytes (64 hex digits)"))?;
        Ok(Self { secret })
    }

    /// Issues a token for `user_id` valid until `expires_at` (unix seconds).
    pub fn issue(&self, user_id: &str, expires_at: u64) -> String {
        let payload = format!("{VERSION}.{}.{expires_at}", URL_SAFE_NO_PAD.encode(user_id));
        let signature = self.mac(&payload).finalize().into_bytes();
        format!("{payload}.{}", hex::encode(signature))
    }

    /// Verifies a token at time `now` (unix seconds) and returns what it says.
    pub fn verify(&self, token: &str, now: u64) -> Result<TokenClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(version), Some(user), Some(expiry), Some(signature), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed(
                "expected v1.<user>.<expiry>.<signature>",
            ));
        };
        if version != VERSION {
            return Err(TokenError::Malformed("unknown token version"));
        }
        let user_bytes = URL_SAFE_NO_PAD
            .decode(user)
            .map_err(|_| TokenError::Malformed("user is not base64url"))?;
        let user_id = String::from_utf8(user_bytes)
            .map_err(|_| TokenError::Malformed("user is not UTF-8"))?;
        let expires_at: u64 = expiry
            .parse()
            .map_err(|_| TokenError::Malformed("expiry is not a number"))?;
        let signature =
            hex::decode(signature).map_err(|_| TokenError::Malformed("signature is not hex"))?;
        if signature.len() != 32 {
            return Err(TokenError::Malformed("signature is not 32 bytes"));
        }
        let payload_len = token.len() - signature.len() * 2 - 1;
        self.mac(&token[..payload_len])
            .verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        if expires_at <= now {
            return Err(TokenError::Expired(expires_at));
        }
        Ok(TokenClaims {
            user_id,
            expires_at,
        })
    }

    /// Verifies a token for a given user: also refuses a valid token of another user.
    pub fn verify_for(
        &self,
        token: &str,
        user_id: &str,
        now: u64,
    ) -> Result<TokenClaims, TokenError> {
        let claims = self.verify(token, now)?;
        if claims.user_id != user_id {
            return Err(TokenError::UserMismatch);
        }
        Ok(claims)
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        // Invariant: HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        #[allow(clippy::expect_used)]
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }
}

/// Checks that tokens may name `user_id` and that it may log in: the protocol's rule
/// (1–64 bytes, no control characters) and no id reserved for the server (starting with
/// `@`, e.g. the app admin `@admin`): `INVALID_USER_ID` otherwise.
pub fn check_login_user_id(user_id: &str) -> Result<(), ApiError> {
    community_protocol::limits::check_user_id(user_id)?;
    if community_protocol::UserId::from(user_id).is_reserved() {
        return Err(ApiError::new(
            ErrorCode::INVALID_USER_ID,
            "user ids starting with '@' are reserved for the server",
        ));
    }
    Ok(())
}

/// Now, in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes a new file readable by its owner only (secrets).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::from_secret([7; 32])
    }

    #[test]
    fn issued_tokens_verify() {
        let token = key().issue("alice", 2_000);
        assert!(token.starts_with("v1."));
        let claims = key().verify_for(&token, "alice", 1_000).unwrap();
        assert_eq!(
            claims,
            TokenClaims {
                user_id: "alice".into(),
                expires_at: 2_000
            }
        );
    }

    #[test]
    fn refusals_have_their_codes() {
        let token = key().issue("alice", 2_000);
        let code = |r: Result<TokenClaims, TokenError>| ApiError::from(r.unwrap_err()).code;
        assert_eq!(code(key().verify(&token, 2_000)), ErrorCode::TOKEN_EXPIRED);
        assert_eq!(
            code(key().verify_for(&token, "bob", 1)),
            ErrorCode::TOKEN_USER_MISMATCH
        );
        assert_eq!(
            code(TokenKey::from_secret([8; 32]).verify(&token, 1)),
            ErrorCode::TOKEN_FORGED
        );
        assert_eq!(code(key().verify("garbage", 1)), ErrorCode::TOKEN_MALFORMED);
        assert_eq!(
            code(key().verify("v2.YQ.5.00", 1)),
            ErrorCode::TOKEN_MALFORMED
        );
        assert_eq!(
            code(key().verify("v1.YQ.5.00", 1)),
            ErrorCode::TOKEN_MALFORMED
        );
        // Changing the user or expiry breaks the signature.
        let bob = URL_SAFE_NO_PAD.encode("bob");
        let forged = token.replacen(&URL_SAFE_NO_PAD.encode("alice"), &bob, 1);
        assert_eq!(code(key().verify(&forged, 1)), ErrorCode::TOKEN_FORGED);
        let later = token.replacen(".2000.", ".9999.", 1);
        assert_eq!(code(key().verify(&later, 1)), ErrorCode::TOKEN_FORGED);
    }

    #[test]
    fn reserved_ids_get_no_token() {
        assert!(check_login_user_id("alice").is_ok());
        for id in ["@admin", "@x", ""] {
            let error = check_login_user_id(id).unwrap_err();
            assert_eq!(error.code, ErrorCode::INVALID_USER_ID);
        }
    }

    #[test]
    fn secret_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = TokenKey::load_or_create(dir.path()).unwrap();
        let second = TokenKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.secret, second.secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "only the secret file remains");
    }

    #[test]
    fn corrupt_secret_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRET_FILE), "zz").unwrap();
        assert!(matches!(
            TokenKey::load_or_create(dir.path()),
            Err(ServerError::BadSecret { .. })
        ));
    }
}
