//! The admin API's key: 32 random bytes, hex-encoded in a file (`<data_dir>/admin.key`
//! unless `admin_key_file` names another, mode 0600), created on first start like the
//! token secret and replaced by `community-server admin-key rotate`.
//!
//! Rotation reaches a running server without a restart: before checking a call's key the
//! server looks at the file's modification time, inode and length, and reads the file
//! again when they changed (rotation writes a new file and renames it over the old one,
//! so the inode always changes). The old key is refused from the first call after the
//! rename. A file that vanished or became unreadable keeps the last key in force (and is
//! logged).
//!
//! Keys are compared in constant time: the server keeps only HMAC-SHA256(salt, key) with
//! a per-process random salt, and verifies HMAC-SHA256(salt, presented) against it with
//! `hmac`'s constant-time `verify_slice`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ServerError;
use crate::token::write_private;

type HmacSha256 = Hmac<Sha256>;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "admin.key";
const KEY_BYTES: usize = 32;

/// What tells that the key file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    inode: u64,
    len: u64,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            modified: metadata.modified().ok(),
            inode,
            len: metadata.len(),
        }
    }
}

struct Current {
    stamp: Option<Stamp>,
    digest: Vec<u8>,
}

/// The key a running server checks admin calls against (see the module documentation).
pub(crate) struct AdminKey {
    path: PathBuf,
    salt: [u8; 32],
    current: Mutex<Current>,
}

impl AdminKey {
    /// Loads the key file, creating it when missing (blocking: file system).
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let key = load_or_create_key(path)?;
        let stamp = std::fs::metadata(path).ok().map(|m| Stamp::of(&m));
        let salt: [u8; 32] = rand::random();
        let digest = digest(&salt, key.as_bytes());
        Ok(Self {
            path: path.to_path_buf(),
            salt,
            current: Mutex::new(Current { stamp, digest }),
        })
    }

    /// Whether `presented` is the key in force (reading the file again if it changed).
    pub async fn check(&self, presented: &str) -> bool {
        self.refresh().await;
        let expected = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .digest
            .clone();
        let mut mac = mac(&self.salt);
        mac.update(presented.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }

    async fn refresh(&self) {
        let stamp = match tokio::fs::metadata(&self.path).await {
            Ok(metadata) => Stamp::of(&metadata),
            Err(error) => {
                tracing::warn!(%error, path = %self.path.display(), "admin key file unreadable; the last key stays in force");
                return;
            }
        };
        let known = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stamp
            .clone();
        if known.as_ref() == Some(&stamp) {
            return;
        }
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(%error, path = %self.path.display(), "admin key file unreadable; the last key stays in force");
                return;
            }
        };
        match parse(&self.path, text.trim()) {
            Ok(key) => {
                let digest = digest(&self.salt, key.as_bytes());
                let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
                *current = Current {
                    stamp: Some(stamp),
                    digest,
                };
                tracing::info!(path = %self.path.display(), "admin key reloaded");
            }
            Err(error) => {
                tracing::warn!(%error, "admin key file invalid; the last key stays in force");
            }
        }
    }
}

fn mac(salt: &[u8; 32]) -> HmacSha256 {
    // Invariant: HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    #[allow(clippy::expect_used)]
    HmacSha256::new_from_slice(salt).expect("HMAC takes any key length")
}

fn digest(salt: &[u8; 32], key: &[u8]) -> Vec<u8> {
    let mut mac = mac(salt);
    mac.update(key);
    mac.finalize().into_bytes().to_vec()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServerError {
    let path = path.to_path_buf();
    move |source| ServerError::Io { path, source }
}

/// A temporary file beside `path`.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    path.with_file_name(name)
}

fn fresh_key() -> String {
    hex::encode(rand::random::<[u8; KEY_BYTES]>())
}

/// Reads the key file (64 hex digits), creating it with a fresh random key (mode 0600,
/// its directory too) when missing. Safe against a concurrent first use.
pub fn load_or_create_key(path: &Path) -> Result<String, ServerError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    if !path.exists() {
        let key = fresh_key();
        let tmp = temporary(path);
        write_private(&tmp, key.as_bytes()).map_err(io(&tmp))?;
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => return Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(path)(e)),
        }
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    parse(path, text.trim())
}

/// Replaces the key file with a fresh random key (written beside it, then renamed over
/// it) and returns the new key. A running server refuses the old key from its next call.
pub fn rotate_key(path: &Path) -> Result<String, ServerError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let key = fresh_key();
    let tmp = temporary(path);
    write_private(&tmp, key.as_bytes()).map_err(io(&tmp))?;
    if let Err(error) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path)(error));
    }
    Ok(key)
}

fn parse(path: &Path, text: &str) -> Result<String, ServerError> {
    let valid = text.len() == KEY_BYTES * 2 && text.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(ServerError::BadSecret {
            path: path.to_path_buf(),
            reason: "expected 32 bytes (64 hex digits)".into(),
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn created_private_checked_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let admin = AdminKey::open(&path).unwrap();
        let first = load_or_create_key(&path).unwrap();
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(admin.check(&first).await);
        assert!(!admin.check("nope").await);
        assert!(!admin.check("").await);
        let second = rotate_key(&path).unwrap();
        assert!(admin.check(&second).await);
        assert!(!admin.check(&first).await, "the old key is refused");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_corrupt_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            load_or_create_key(&path),
            Err(ServerError::BadSecret { .. })
        ));
    }
}
