//! WebSocket frames on the wire (RFC 6455 §5): the header of a client frame, unmasking,
//! and the header of a server frame.
//!
//! Client frames must be masked (§5.1); server frames never are. Only what a server needs
//! is here: no extension is negotiated, so the reserved bits must be zero.

use super::error::ReadError;

/// Continuation of a fragmented message.
pub(crate) const OP_CONTINUATION: u8 = 0x0;
/// A text message (UTF-8).
pub(crate) const OP_TEXT: u8 = 0x1;
/// A binary message.
pub(crate) const OP_BINARY: u8 = 0x2;
/// Close (control).
pub(crate) const OP_CLOSE: u8 = 0x8;
/// Ping (control).
pub(crate) const OP_PING: u8 = 0x9;
/// Pong (control).
pub(crate) const OP_PONG: u8 = 0xA;

/// The largest payload of a control frame (§5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: usize = 125;

/// The largest server frame header: 2 bytes and a 64-bit length, no mask.
pub(crate) const MAX_SERVER_HEADER: usize = 10;

/// The header of one client frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The last frame of its message.
    pub fin: bool,
    /// The opcode (one of the `OP_` constants).
    pub opcode: u8,
    /// The masking key.
    pub mask: [u8; 4],
    /// Bytes of the header itself.
    pub header_len: usize,
    /// Bytes of payload that follow it.
    pub payload_len: usize,
}

impl Header {
    /// Bytes of the whole frame (header and payload).
    pub fn frame_len(&self) -> usize {
        self.header_len.saturating_add(self.payload_len)
    }
}

/// Parses the header at the start of `bytes`: `Ok(None)` while it is incomplete. A frame
/// whose payload is over `limit` is refused as soon as its length is known, before any of
/// its payload is read.
pub(crate) fn parse_header(bytes: &[u8], limit: usize) -> Result<Option<Header>, ReadError> {
    let [first, second, rest @ ..] = bytes else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    if first & 0x70 != 0 {
        return Err(ReadError::Protocol(
            "reserved bits set without an extension",
        ));
    }
    let opcode = first & 0x0F;
    if !matches!(
        opcode,
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
    ) {
        return Err(ReadError::Protocol("unknown opcode"));
    }
    if second & 0x80 == 0 {
        return Err(ReadError::Protocol("client frames must be masked"));
    }
    let short = usize::from(second & 0x7F);
    let (payload_len, extended) = match short {
        126 => {
            let [a, b, ..] = rest else {
                return Ok(None);
            };
            (usize::from(u16::from_be_bytes([*a, *b])), 2)
        }
        127 => {
            let Some(raw) = rest.get(..8) else {
                return Ok(None);
            };
            let mut eight = [0_u8; 8];
            eight.copy_from_slice(raw);
            let len = u64::from_be_bytes(eight);
            if len >> 63 != 0 {
                return Err(ReadError::Protocol("payload length with its top bit set"));
            }
            (usize::try_from(len).unwrap_or(usize::MAX), 8)
        }
        short => (short, 0),
    };
    let is_control = opcode & 0x8 != 0;
    if is_control && !fin {
        return Err(ReadError::Protocol("fragmented control frame"));
    }
    if is_control && payload_len > MAX_CONTROL_PAYLOAD {
        return Err(ReadError::Protocol("control frame payload over 125 bytes"));
    }
    if payload_len > limit {
        return Err(ReadError::TooLarge);
    }
    let Some(raw_mask) = rest.get(extended..extended + 4) else {
        return Ok(None);
    };
    let mut mask = [0_u8; 4];
    mask.copy_from_slice(raw_mask);
    Ok(Some(Header {
        fin,
        opcode,
        mask,
        header_len: 2 + extended + 4,
        payload_len,
    }))
}

/// Unmasks `payload` in place with `mask` (§5.3).
pub(crate) fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let mut four = [0_u8; 4];
        four.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u32::from_ne_bytes(four) ^ word).to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask) {
        *byte ^= key;
    }
}

/// Appends the header of an unfragmented, unmasked server frame to `out`.
pub(crate) fn put_header(out: &mut Vec<u8>, opcode: u8, payload_len: usize) {
    out.push(0x80 | opcode);
    if payload_len < 126 {
        // Fits in seven bits.
        out.push(payload_len as u8);
    } else if let Ok(short) = u16::try_from(payload_len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(payload_len as u64).to_be_bytes());
    }
}

/// Appends a whole server frame (header and payload) to `out`.
pub(crate) fn put_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.reserve(MAX_SERVER_HEADER + payload.len());
    put_header(out, opcode, payload.len());
    out.extend_from_slice(payload);
}

/// The payload of a close frame: the code and a reason cut to fit a control frame (at a
/// character boundary); empty without a code.
pub(crate) fn close_payload(close: Option<(u16, &str)>) -> Vec<u8> {
    let Some((code, reason)) = close else {
        return Vec::new();
    };
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    payload
}

/// Reads a close frame's payload (§5.5.1): its code if any. A one-byte payload, a code
/// that may not be sent (§7.4) or a reason that is not UTF-8 is a protocol error.
pub(crate) fn parse_close(payload: &[u8]) -> Result<Option<u16>, ReadError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ReadError::Protocol("close frame with a one-byte payload")),
        [a, b, reason @ ..] => {
            let code = u16::from_be_bytes([*a, *b]);
            let allowed = matches!(code, 1000..=1003 | 1007..=1011 | 1012..=1014 | 3000..=4999);
            if !allowed {
                return Err(ReadError::Protocol("close frame with an invalid code"));
            }
            if std::str::from_utf8(reason).is_err() {
                return Err(ReadError::InvalidUtf8);
            }
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A masked client frame, as a client would send it.
    pub(crate) fn client_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(first);
        let len = payload.len();
        if len < 126 {
            out.push(0x80 | len as u8);
        } else if len <= usize::from(u16::MAX) {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        let mut body = payload.to_vec();
        unmask(&mut body, mask);
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn headers_of_every_length_form_parse() {
        for len in [0, 1, 125, 126, 65_535, 65_536, 100_000] {
            let payload = vec![7_u8; len];
            let frame = client_frame(0x82, &payload, [1, 2, 3, 4]);
            let header = parse_header(&frame, usize::MAX).unwrap().unwrap();
            assert_eq!(header.payload_len, len);
            assert_eq!(header.frame_len(), frame.len());
            assert!(header.fin);
            assert_eq!(header.opcode, OP_BINARY);
            // Every shorter prefix of the header is incomplete, not an error.
            for cut in 0..header.header_len {
                assert_eq!(parse_header(&frame[..cut], usize::MAX).unwrap(), None);
            }
        }
    }

    #[test]
    fn bad_headers_are_refused() {
        let unmasked = [0x81, 0x01, b'x'];
        assert!(matches!(
            parse_header(&unmasked, 10),
            Err(ReadError::Protocol(_))
        ));
        let reserved = client_frame(0xC1, b"x", [0; 4]);
        assert!(matches!(
            parse_header(&reserved, 10),
            Err(ReadError::Protocol(_))
        ));
        let opcode = client_frame(0x83, b"x", [0; 4]);
        assert!(matches!(
            parse_header(&opcode, 10),
            Err(ReadError::Protocol(_))
        ));
        let fragmented_ping = client_frame(0x09, b"x", [0; 4]);
        assert!(matches!(
            parse_header(&fragmented_ping, 10),
            Err(ReadError::Protocol(_))
        ));
        let big_ping = client_frame(0x89, &[0; 126], [0; 4]);
        assert!(matches!(
            parse_header(&big_ping, 1000),
            Err(ReadError::Protocol(_))
        ));
        // Too large is known from the first bytes.
        let big = client_frame(0x81, &[b'x'; 2000], [0; 4]);
        assert_eq!(parse_header(&big[..4], 1000), Err(ReadError::TooLarge));
    }

    #[test]
    fn unmasking_twice_restores_the_payload() {
        let original: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 3, 4, 5, 255] {
            let mut data = original[..len].to_vec();
            unmask(&mut data, [9, 8, 7, 6]);
            if len > 0 {
                assert_ne!(data, original[..len]);
            }
            unmask(&mut data, [9, 8, 7, 6]);
            assert_eq!(data, original[..len]);
        }
    }

    #[test]
    fn server_headers_use_the_shortest_form() {
        for (len, header_len) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let mut out = Vec::new();
            put_header(&mut out, OP_TEXT, len);
            assert_eq!(out.len(), header_len);
            assert_eq!(out[0], 0x81);
        }
    }

    #[test]
    fn close_payloads_round_trip_and_are_checked() {
        let payload = close_payload(Some((1009, "frame too large")));
        assert_eq!(parse_close(&payload), Ok(Some(1009)));
        assert_eq!(parse_close(&[]), Ok(None));
        assert!(close_payload(None).is_empty());
        let long = "é".repeat(100);
        assert!(close_payload(Some((1000, &long))).len() <= MAX_CONTROL_PAYLOAD);
        assert!(matches!(parse_close(&[3]), Err(ReadError::Protocol(_))));
        assert!(matches!(
            parse_close(&1005_u16.to_be_bytes()),
            Err(ReadError::Protocol(_))
        ));
        assert_eq!(
            parse_close(&[0x03, 0xE8, 0xFF]),
            Err(ReadError::InvalidUtf8)
        );
    }
}
