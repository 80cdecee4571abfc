//! Server-generated ids: a kind prefix and 20 random lowercase hex digits (80 bits), e.g.
//! `c_…` for communities, `ch_…` for channels, `th_…` for threads and `dm_…` for
//! conversations (both in the channel id space), `cat_…` for categories, `g_…` for
//! permission groups.

use std::fmt::Write as _;

/// Prefix of generated community ids.
pub(crate) const COMMUNITY_PREFIX: &str = "c_";
/// Prefix of channel ids.
pub(crate) const CHANNEL_PREFIX: &str = "ch_";
/// Prefix of thread ids (channel ids of threads).
pub(crate) const THREAD_PREFIX: &str = "th_";
/// Prefix of conversation ids (channel ids of community `@me`).
pub(crate) const CONVERSATION_PREFIX: &str = "dm_";
/// Prefix of category ids.
pub(crate) const CATEGORY_PREFIX: &str = "cat_";
/// Prefix of permission group ids.
pub(crate) const GROUP_PREFIX: &str = "g_";

/// A new random id with `prefix` (any typed id, or a plain `String`).
pub(crate) fn generate<T: From<String>>(prefix: &str) -> T {
    let bytes: [u8; 10] = rand::random();
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(id, "{byte:02x}");
    }
    T::from(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_differ() {
        let a: String = generate(CHANNEL_PREFIX);
        let b: String = generate(CHANNEL_PREFIX);
        assert!(a.starts_with("ch_"));
        assert_eq!(a.len(), 23);
        assert_ne!(a, b);
        assert!(
            community_protocol::limits::check_community_id(&generate::<String>(COMMUNITY_PREFIX))
                .is_ok()
        );
    }
}
