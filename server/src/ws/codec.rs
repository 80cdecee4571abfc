//! Turning the bytes a client sent into whole messages: frames parsed and unmasked,
//! fragments reassembled, text checked as UTF-8, sizes limited.
//!
//! The decoder keeps memory only while it must: the unparsed bytes of an incomplete frame
//! and the fragments of an unfinished message. Once everything received is decoded, its
//! buffer is freed, so an idle connection holds no buffer at all.

use super::error::ReadError;
use super::frame::{self, Header};

/// One message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    /// A whole text message.
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// A ping, with the payload its pong must echo.
    Ping(Vec<u8>),
    /// A pong.
    Pong,
    /// A close frame, with its code if it had one.
    Close(Option<u16>),
}

/// A fragmented message still being received.
#[derive(Debug)]
struct Partial {
    /// Text (else binary).
    text: bool,
    /// The payload so far.
    data: Vec<u8>,
}

/// Decodes one connection's incoming bytes. See the module documentation.
#[derive(Debug)]
pub(crate) struct Decoder {
    /// Received bytes not decoded yet (no allocation while empty).
    buffer: Vec<u8>,
    /// The message being reassembled from fragments, if any.
    partial: Option<Partial>,
    /// The largest frame payload, and the largest message, accepted.
    limit: usize,
}

impl Decoder {
    /// A decoder accepting frames and messages of up to `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buffer: Vec::new(),
            partial: None,
            limit,
        }
    }

    /// The buffer to read more bytes into (decode them with [`Decoder::decode`]).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    /// Bytes still missing from the frame being received, when its header is known
    /// (a reader may read that many at once); 0 otherwise.
    pub fn missing(&self) -> usize {
        match frame::parse_header(&self.buffer, self.limit) {
            Ok(Some(header)) => header.frame_len().saturating_sub(self.buffer.len()),
            _ => 0,
        }
    }

    /// True when no partly received frame or message is held.
    #[cfg(test)]
    pub fn is_idle(&self) -> bool {
        self.buffer.is_empty() && self.partial.is_none()
    }

    /// Frees the read buffer when it holds nothing, and shrinks it when a large frame
    /// left it mostly empty (`keep`: the capacity worth keeping).
    pub fn release(&mut self, keep: usize) {
        if self.buffer.is_empty() {
            self.buffer = Vec::new();
        } else if self.buffer.capacity() > keep.max(self.buffer.len().saturating_mul(4)) {
            self.buffer.shrink_to(keep.max(self.buffer.len()));
        }
    }

    /// The next whole message in the bytes received so far; `Ok(None)` when more bytes
    /// are needed.
    pub fn decode(&mut self) -> Result<Option<Message>, ReadError> {
        loop {
            let Some(header) = frame::parse_header(&self.buffer, self.limit)? else {
                return Ok(None);
            };
            let end = header.frame_len();
            if self.buffer.len() < end {
                return Ok(None);
            }
            let payload = &mut self.buffer[header.header_len..end];
            frame::unmask(payload, header.mask);
            let message = self.on_frame(header)?;
            self.buffer.drain(..end);
            if let Some(message) = message {
                return Ok(Some(message));
            }
        }
    }

    /// Handles one complete, unmasked frame at the start of the buffer.
    fn on_frame(&mut self, header: Header) -> Result<Option<Message>, ReadError> {
        let payload = &self.buffer[header.header_len..header.frame_len()];
        match header.opcode {
            frame::OP_PING => Ok(Some(Message::Ping(payload.to_vec()))),
            frame::OP_PONG => Ok(Some(Message::Pong)),
            frame::OP_CLOSE => Ok(Some(Message::Close(frame::parse_close(payload)?))),
            frame::OP_CONTINUATION => {
                let Some(partial) = self.partial.as_mut() else {
                    return Err(ReadError::Protocol("continuation frame without a message"));
                };
                if partial.data.len().saturating_add(payload.len()) > self.limit {
                    return Err(ReadError::TooLarge);
                }
                partial.data.extend_from_slice(payload);
                if !header.fin {
                    return Ok(None);
                }
                match self.partial.take() {
                    Some(done) => whole(done.text, done.data).map(Some),
                    None => Ok(None),
                }
            }
            opcode => {
                if self.partial.is_some() {
                    return Err(ReadError::Protocol(
                        "a new message began before the last one ended",
                    ));
                }
                let text = opcode == frame::OP_TEXT;
                if header.fin {
                    return whole(text, payload.to_vec()).map(Some);
                }
                self.partial = Some(Partial {
                    text,
                    data: payload.to_vec(),
                });
                Ok(None)
            }
        }
    }
}

/// A reassembled message, its text checked.
fn whole(text: bool, data: Vec<u8>) -> Result<Message, ReadError> {
    if !text {
        return Ok(Message::Binary(data));
    }
    String::from_utf8(data)
        .map(Message::Text)
        .map_err(|_| ReadError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::super::frame::tests::client_frame;
    use super::*;

    fn feed(decoder: &mut Decoder, bytes: &[u8]) -> Vec<Result<Message, ReadError>> {
        decoder.buffer().extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            match decoder.decode() {
                Ok(Some(message)) => out.push(Ok(message)),
                Ok(None) => break,
                Err(error) => {
                    out.push(Err(error));
                    break;
                }
            }
        }
        decoder.release(64);
        out
    }

    #[test]
    fn messages_decode_from_any_split_and_the_buffer_is_freed() {
        let mut bytes = client_frame(0x81, b"hello", [1, 2, 3, 4]);
        bytes.extend(client_frame(0x89, b"p", [5, 6, 7, 8]));
        bytes.extend(client_frame(0x82, &[0, 1, 2], [0, 0, 0, 1]));
        for cut in 0..bytes.len() {
            let mut decoder = Decoder::new(1000);
            let mut got = feed(&mut decoder, &bytes[..cut]);
            got.extend(feed(&mut decoder, &bytes[cut..]));
            assert_eq!(
                got,
                vec![
                    Ok(Message::Text("hello".into())),
                    Ok(Message::Ping(b"p".to_vec())),
                    Ok(Message::Binary(vec![0, 1, 2])),
                ]
            );
            assert!(decoder.is_idle());
            assert_eq!(decoder.buffer.capacity(), 0, "nothing kept while idle");
        }
    }

    #[test]
    fn fragments_are_reassembled_around_control_frames() {
        let mut decoder = Decoder::new(1000);
        let mut bytes = client_frame(0x01, "hé".as_bytes(), [1, 1, 1, 1]);
        bytes.extend(client_frame(0x8A, b"", [2, 2, 2, 2]));
        bytes.extend(client_frame(0x00, b"ll", [3, 3, 3, 3]));
        bytes.extend(client_frame(0x80, b"o", [4, 4, 4, 4]));
        assert_eq!(
            feed(&mut decoder, &bytes),
            vec![Ok(Message::Pong), Ok(Message::Text("héllo".into()))]
        );
        assert!(decoder.is_idle());
    }

    #[test]
    fn size_limits_apply_to_frames_and_to_messages() {
        let mut decoder = Decoder::new(10);
        let big = client_frame(0x81, &[b'x'; 11], [0; 4]);
        assert_eq!(
            feed(&mut decoder, &big[..4]),
            vec![Err(ReadError::TooLarge)]
        );
        let mut decoder = Decoder::new(10);
        let mut bytes = client_frame(0x01, &[b'x'; 6], [0; 4]);
        bytes.extend(client_frame(0x80, &[b'x'; 6], [0; 4]));
        assert_eq!(feed(&mut decoder, &bytes), vec![Err(ReadError::TooLarge)]);
        let mut decoder = Decoder::new(10);
        let exact = client_frame(0x81, &[b'x'; 10], [0; 4]);
        assert_eq!(
            feed(&mut decoder, &exact),
            vec![Ok(Message::Text("x".repeat(10)))]
        );
    }

    #[test]
    fn invalid_input_is_typed() {
        let mut decoder = Decoder::new(100);
        let bad = client_frame(0x81, &[b'{', 0xff, 0xfe, b'}'], [7; 4]);
        assert_eq!(feed(&mut decoder, &bad), vec![Err(ReadError::InvalidUtf8)]);
        let mut decoder = Decoder::new(100);
        let stray = client_frame(0x80, b"x", [0; 4]);
        assert!(matches!(
            feed(&mut decoder, &stray)[..],
            [Err(ReadError::Protocol(_))]
        ));
        let mut decoder = Decoder::new(100);
        let mut interleaved = client_frame(0x01, b"a", [0; 4]);
        interleaved.extend(client_frame(0x81, b"b", [0; 4]));
        assert!(matches!(
            feed(&mut decoder, &interleaved)[..],
            [Err(ReadError::Protocol(_))]
        ));
        let mut decoder = Decoder::new(100);
        let close = client_frame(0x88, &1000_u16.to_be_bytes(), [3; 4]);
        assert_eq!(
            feed(&mut decoder, &close),
            vec![Ok(Message::Close(Some(1000)))]
        );
    }

    #[test]
    fn a_large_frame_tells_what_is_missing_and_is_shrunk_after() {
        let mut decoder = Decoder::new(100_000);
        let frame = client_frame(0x82, &[1; 50_000], [0; 4]);
        assert!(feed(&mut decoder, &frame[..1000]).is_empty());
        assert_eq!(decoder.missing(), frame.len() - 1000);
        let mut rest = frame[1000..].to_vec();
        rest.extend(client_frame(0x82, &[1; 10], [0; 4])[..3].to_vec());
        assert_eq!(feed(&mut decoder, &rest).len(), 1);
        assert!(decoder.buffer.capacity() <= 64, "shrunk to what is kept");
    }
}
