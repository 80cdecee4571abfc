//! The cursor of `search_messages`: where the next page resumes in the ranked windows
//! ([`Resume`]), tied to the search it was issued for by a hash of the request's
//! parameters, and base64url-encoded like the other cursors (`crate::cursor`), so garbage
//! and cursors of another search are refused with `INVALID_CURSOR`.
//!
//! Floats travel as their exact bits, so a page resumes at exactly the score it stopped
//! at.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use community_protocol::search::SearchMessages;
use community_protocol::{ApiError, ErrorCode};

use super::rank::{Mark, Resume};

/// The tag of this cursor's format.
const TAG: &str = "q1";

/// A 64-bit FNV-1a hash of the parameters that define a search's results (not the cursor,
/// not the page size).
pub(crate) fn search_hash(p: &SearchMessages) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |part: &str| {
        // A separator that no id or query starts with keeps the parts apart.
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(p.community_id.as_str());
    eat(&p.query);
    eat(p.channel_id.as_ref().map_or("", |c| c.as_str()));
    eat(p.sender_id.as_ref().map_or("", |s| s.as_str()));
    eat(&p.after_ms.map_or(String::new(), |t| t.to_string()));
    eat(&p.before_ms.map_or(String::new(), |t| t.to_string()));
    hash
}

/// Encodes where to resume a search.
pub(crate) fn encode(hash: u64, resume: &Resume) -> String {
    let avgdl = resume
        .avgdl
        .map_or("-".to_owned(), |a| format!("{:x}", a.to_bits()));
    let (score, position) = resume.after.map_or(("-".to_owned(), "-".to_owned()), |m| {
        (format!("{:x}", m.score.to_bits()), m.position.to_string())
    });
    URL_SAFE_NO_PAD.encode(format!(
        "{TAG}:{hash:x}:{}:{avgdl}:{score}:{position}",
        resume.ceiling
    ))
}

/// Decodes the cursor of the search whose hash is `hash`; anything else is
/// `INVALID_CURSOR`.
pub(crate) fn decode(hash: u64, cursor: &str) -> Result<Resume, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::INVALID_CURSOR,
            "the cursor is not one this server issued for this search",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = text.split(':').collect();
    let [tag, found, ceiling, avgdl, score, position] = parts[..] else {
        return Err(invalid());
    };
    if tag != TAG || u64::from_str_radix(found, 16).ok() != Some(hash) {
        return Err(invalid());
    }
    let bits = |text: &str| u64::from_str_radix(text, 16).map(f64::from_bits);
    let ceiling = ceiling.parse().map_err(|_| invalid())?;
    let avgdl = match avgdl {
        "-" => None,
        text => Some(bits(text).map_err(|_| invalid())?),
    };
    let after = match (score, position) {
        ("-", "-") => None,
        (score, position) => Some(Mark {
            score: bits(score).map_err(|_| invalid())?,
            position: position.parse().map_err(|_| invalid())?,
        }),
    };
    if avgdl.is_some_and(|a| !a.is_finite() || a <= 0.0)
        || after.is_some_and(|m| !m.score.is_finite())
    {
        return Err(invalid());
    }
    Ok(Resume {
        ceiling,
        avgdl,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(query: &str) -> SearchMessages {
        SearchMessages {
            community_id: "c".into(),
            query: query.into(),
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_exactly_and_refuse_other_searches_and_garbage() {
        let hash = search_hash(&search("raid"));
        let resume = Resume {
            ceiling: 1_234_567,
            avgdl: Some(7.25),
            after: Some(Mark {
                score: 0.1 + 0.2,
                position: 99,
            }),
        };
        assert_eq!(decode(hash, &encode(hash, &resume)).unwrap(), resume);
        let fresh = Resume {
            ceiling: 5,
            avgdl: None,
            after: None,
        };
        assert_eq!(decode(hash, &encode(hash, &fresh)).unwrap(), fresh);
        let other = search_hash(&search("raids"));
        assert_ne!(hash, other);
        for bad in [
            encode(other, &resume),
            String::new(),
            "!!".into(),
            URL_SAFE_NO_PAD.encode(format!("q1:{hash:x}:1:-:-")),
            URL_SAFE_NO_PAD.encode(format!("q1:{hash:x}:x:-:-:-")),
            URL_SAFE_NO_PAD.encode(format!("m1:{hash:x}:1:-:-:-")),
        ] {
            assert_eq!(
                decode(hash, &bad).unwrap_err().code,
                ErrorCode::INVALID_CURSOR,
                "{bad}"
            );
        }
    }
}
