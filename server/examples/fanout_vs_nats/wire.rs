//! Cheap clients for both servers, written by hand over TCP so that each costs the same
//! little: one read buffer, frames parsed in place, and only the send time in the payload
//! (`t=<µs>;`) decoded.
//!
//! - WebSocket (our server): the HTTP upgrade, masked text frames out (a zero mask key:
//!   the payload goes unchanged), unmasked frames in (RFC 6455 §5.2).
//! - NATS (nats-server): the text protocol's `CONNECT`, `SUB`, `PUB`, `PING`/`PONG`, and
//!   `MSG` in.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Microseconds since the epoch (the clock of the `t=` stamps).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The send time carried in a payload (`t=<µs>;`), if any.
pub fn stamp(payload: &[u8]) -> Option<u64> {
    let at = payload.windows(2).position(|w| w == b"t=")? + 2;
    let mut value = 0u64;
    let mut digits = 0;
    for &b in &payload[at..] {
        if !b.is_ascii_digit() {
            break;
        }
        value = value * 10 + u64::from(b - b'0');
        digits += 1;
    }
    (digits > 0).then_some(value)
}

/// A read buffer with the bytes not parsed yet at `start..end`.
pub struct Reader {
    read: OwnedReadHalf,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// What the next item in the buffer is.
enum Item {
    /// A whole frame or message: its kind and payload range, and where it ends.
    Whole(u8, usize, usize, usize),
    /// More bytes are needed.
    Partial,
}

impl Reader {
    fn new(read: OwnedReadHalf, capacity: usize) -> Self {
        Self {
            read,
            buf: vec![0; capacity],
            start: 0,
            end: 0,
        }
    }

    /// Reads once more into the buffer (growing it for an item larger than it). False at
    /// the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.read.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n > 0)
    }

    /// Reads once and hands every whole WebSocket frame to `frame(opcode, payload)`.
    /// False when the connection ended.
    pub async fn ws_frames(&mut self, mut frame: impl FnMut(u8, &[u8])) -> io::Result<bool> {
        if !self.fill().await? {
            return Ok(false);
        }
        loop {
            match ws_item(&self.buf[self.start..self.end]) {
                Item::Whole(opcode, from, to, next) => {
                    let base = self.start;
                    frame(opcode, &self.buf[base + from..base + to]);
                    self.start += next;
                }
                Item::Partial => return Ok(true),
            }
        }
    }

    /// Reads once and hands every whole NATS line or message to `item(kind, payload)`:
    /// kind `b'M'` for `MSG` (the payload), else the line's first byte (the line).
    /// False when the connection ended.
    pub async fn nats_items(&mut self, mut item: impl FnMut(u8, &[u8])) -> io::Result<bool> {
        if !self.fill().await? {
            return Ok(false);
        }
        loop {
            match nats_item(&self.buf[self.start..self.end]) {
                Item::Whole(kind, from, to, next) => {
                    let base = self.start;
                    item(kind, &self.buf[base + from..base + to]);
                    self.start += next;
                }
                Item::Partial => return Ok(true),
            }
        }
    }

    /// Reads WebSocket frames until `done(text)` says a text frame is the awaited one.
    pub async fn ws_until(&mut self, mut done: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
        let mut found = false;
        while !found {
            let open = self
                .ws_frames(|opcode, payload| {
                    if opcode == 1 && !found && done(payload) {
                        found = true;
                    }
                })
                .await?;
            if !open && !found {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
            }
        }
        Ok(())
    }

    /// Reads NATS items until a `PONG`.
    pub async fn nats_pong(&mut self) -> io::Result<()> {
        let mut found = false;
        while !found {
            let open = self
                .nats_items(|kind, line| found |= kind == b'P' && line.starts_with(b"PONG"))
                .await?;
            if !open && !found {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
            }
        }
        Ok(())
    }
}

/// Parses one server WebSocket frame (unmasked) at the start of `bytes`.
fn ws_item(bytes: &[u8]) -> Item {
    if bytes.len() < 2 {
        return Item::Partial;
    }
    let opcode = bytes[0] & 0x0f;
    let (len, header) = match bytes[1] & 0x7f {
        126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
        127 if bytes.len() >= 10 => {
            let mut len = [0u8; 8];
            len.copy_from_slice(&bytes[2..10]);
            (u64::from_be_bytes(len) as usize, 10)
        }
        126 | 127 => return Item::Partial,
        len => (len as usize, 2),
    };
    if bytes.len() < header + len {
        return Item::Partial;
    }
    Item::Whole(opcode, header, header + len, header + len)
}

/// Parses one NATS protocol line (and a `MSG`'s payload) at the start of `bytes`.
fn nats_item(bytes: &[u8]) -> Item {
    let Some(eol) = bytes.windows(2).position(|w| w == b"\r\n") else {
        return Item::Partial;
    };
    let line = &bytes[..eol];
    if !line.starts_with(b"MSG ") {
        return Item::Whole(line.first().copied().unwrap_or(b' '), 0, eol, eol + 2);
    }
    // MSG <subject> <sid> [reply-to] <#bytes>
    let size = line
        .rsplit(|&b| b == b' ')
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let from = eol + 2;
    if bytes.len() < from + size + 2 {
        return Item::Partial;
    }
    Item::Whole(b'M', from, from + size, from + size + 2)
}

/// The writing half of a connection.
pub struct Writer {
    write: OwnedWriteHalf,
    frame: Vec<u8>,
}

impl Writer {
    /// Sends a masked WebSocket text frame (mask key 0: the payload is unchanged).
    pub async fn ws_text(&mut self, text: &str) -> io::Result<()> {
        self.frame.clear();
        self.frame.push(0x81);
        let len = text.len();
        if len < 126 {
            self.frame.push(0x80 | len as u8);
        } else if len <= u16::MAX as usize {
            self.frame.push(0x80 | 126);
            self.frame.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.frame.push(0x80 | 127);
            self.frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
        self.frame.extend_from_slice(&[0, 0, 0, 0]);
        self.frame.extend_from_slice(text.as_bytes());
        self.write.write_all(&self.frame).await
    }

    /// Sends raw protocol bytes (NATS).
    pub async fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write.write_all(bytes).await
    }
}

/// Opens a WebSocket to `host_port` (path `/ws`): the upgrade, then frames.
pub async fn ws_connect(host_port: &str, buffer: usize) -> io::Result<(Reader, Writer)> {
    let stream = TcpStream::connect(host_port).await?;
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let mut reader = Reader::new(read, buffer);
    let mut writer = Writer {
        write,
        frame: Vec::new(),
    };
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    writer.raw(request.as_bytes()).await?;
    loop {
        if let Some(at) = reader.buf[..reader.end]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
        {
            if !reader.buf.starts_with(b"HTTP/1.1 101") {
                return Err(io::Error::other("upgrade refused"));
            }
            reader.start = at + 4;
            return Ok((reader, writer));
        }
        if !reader.fill().await? {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
    }
}

/// Opens a NATS connection (no echo of its own messages, no `+OK`s) and waits for the
/// server to have seen the `CONNECT`.
pub async fn nats_connect(host_port: &str, buffer: usize) -> io::Result<(Reader, Writer)> {
    let stream = TcpStream::connect(host_port).await?;
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let mut reader = Reader::new(read, buffer);
    let mut writer = Writer {
        write,
        frame: Vec::new(),
    };
    writer
        .raw(b"CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\nPING\r\n")
        .await?;
    reader.nats_pong().await?;
    Ok((reader, writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse() {
        assert!(matches!(
            nats_item(b"MSG a 1 3\r\nabc\r\nPING"),
            Item::Whole(b'M', 11, 14, 16)
        ));
        assert!(matches!(nats_item(b"MSG a 1 3\r\nab"), Item::Partial));
        assert!(matches!(
            ws_item(&[0x81, 2, b'h', b'i']),
            Item::Whole(1, 2, 4, 4)
        ));
        assert_eq!(stamp(b"{\"text\":\"t=123;\"}"), Some(123));
    }
}
