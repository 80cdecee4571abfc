//! The server's WebSocket (RFC 6455), small enough that an idle connection costs almost
//! nothing: no buffer is held between messages.
//!
//! - [`handshake`]: the upgrade request's checks and the `101` answer (the HTTP part is
//!   hyper's; the upgraded TCP stream is then ours).
//! - [`frame`]: frame headers, masking, close payloads.
//! - [`codec`]: incoming bytes to whole messages (fragments, UTF-8, size limits).
//! - [`error`]: why bytes could not be read ([`ReadError`]).
//! - [`WebSocket`]: one connection's socket. Reading waits for readability without a
//!   buffer, reads what is there into a buffer that lives only until the bytes are
//!   decoded (or while a frame is incomplete); writing gathers a batch of frames into one
//!   buffer written and released at once, or writes a large payload straight from where
//!   it is.
//!
//! The connection task owns its [`WebSocket`] and reads and writes it in turn (see
//! `crate::connection`), so there is no split, no lock and no second task.

pub(crate) mod codec;
pub(crate) mod error;
pub(crate) mod frame;
pub(crate) mod handshake;

use std::future::Future;
use std::io::{self, IoSlice};
use std::task::{Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::config::ServerConfig;

pub(crate) use codec::Message;
pub(crate) use error::ReadError;

/// What one read of the socket gave.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole message.
    Message(Message),
    /// Bytes that are not a valid WebSocket stream; nothing more is read.
    Invalid(ReadError),
    /// The client closed the TCP connection or it failed; nothing more is read.
    Gone,
}

/// One server-side WebSocket over an upgraded TCP stream. See the module documentation.
#[derive(Debug)]
pub(crate) struct WebSocket {
    /// The upgraded TCP stream.
    io: TcpStream,
    /// What was read and not decoded yet, and the message being reassembled.
    decoder: codec::Decoder,
    /// Bytes asked of the socket at once (more when a large frame is known to follow).
    read_bytes: usize,
    /// Frames are gathered up to this many bytes before they are written.
    write_bytes: usize,
    /// The client's close frame, once received (its code, echoed when closing).
    client_closed: Option<Option<u16>>,
    /// Set once reading hit the end of the stream or an error.
    done: bool,
}

impl WebSocket {
    /// A WebSocket over `io` whose client sent `early` right after its upgrade request
    /// (usually nothing). Frames and messages over `limit` bytes are refused; reads ask
    /// for `read_bytes` at a time; writes gather up to `write_bytes`.
    pub fn new(
        io: TcpStream,
        early: &[u8],
        limit: usize,
        read_bytes: usize,
        write_bytes: usize,
    ) -> Self {
        let mut decoder = codec::Decoder::new(limit);
        decoder.buffer().extend_from_slice(early);
        Self {
            io,
            decoder,
            read_bytes: read_bytes.max(64),
            write_bytes: write_bytes.max(64),
            client_closed: None,
            done: false,
        }
    }

    /// The next message, waiting for the client as long as needed. Cancel safe: bytes
    /// read are kept by the decoder. A small future: the wait for readability registers
    /// only the task's waker with the socket (see [`WebSocket::poll_next`]).
    pub fn next(&mut self) -> impl Future<Output = Incoming> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// Polls for the next message: decodes what was read, else reads what the socket has,
    /// else registers `cx`'s waker for readability.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Incoming> {
        loop {
            if self.done {
                return Poll::Ready(Incoming::Gone);
            }
            match self.decoder.decode() {
                Ok(Some(message)) => {
                    self.decoder.release(self.read_bytes);
                    if let Message::Close(code) = message {
                        self.client_closed = Some(code);
                        self.done = true;
                    }
                    return Poll::Ready(Incoming::Message(message));
                }
                Ok(None) => self.decoder.release(self.read_bytes),
                Err(error) => {
                    self.done = true;
                    return Poll::Ready(Incoming::Invalid(error));
                }
            }
            match self.io.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, "socket failed");
                    self.done = true;
                    continue;
                }
                Poll::Ready(Ok(())) => {}
            }
            match self.read_some() {
                Ok(0) => self.done = true,
                Ok(_) => {}
                // Readiness was cleared: the next poll registers the waker again.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => {
                    tracing::debug!(%error, "read failed");
                    self.done = true;
                }
            }
        }
    }

    /// A WebSocket over a connection hyper upgraded: its TCP stream, taken back from hyper
    /// with what the client sent after its request (if anything); `None` when the
    /// connection is not a TCP stream (never, with the server's listener).
    pub fn from_upgraded(upgraded: Upgraded, config: &ServerConfig) -> Option<Self> {
        let parts = match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => parts,
            Err(_) => {
                tracing::warn!("upgraded connection is not a TCP stream; closing");
                return None;
            }
        };
        Some(Self::new(
            parts.io.into_inner(),
            &parts.read_buf,
            config.ws_hard_limit_bytes(),
            config.ws_read_buffer_bytes,
            config.ws_write_buffer_bytes,
        ))
    }

    /// Reads what the socket has, without waiting, into the decoder's buffer (allocated
    /// for the read, freed again once decoded).
    fn read_some(&mut self) -> io::Result<usize> {
        let want = self.decoder.missing().min(1 << 20).max(self.read_bytes);
        let buffer = self.decoder.buffer();
        buffer.reserve(want);
        let read = self.io.try_read_buf(buffer);
        if buffer.is_empty() {
            *buffer = Vec::new();
        }
        read
    }

    /// A batch of frames to write; see [`Batch`].
    pub fn batch(&mut self) -> Batch<'_> {
        Batch {
            socket: self,
            buffer: Vec::new(),
        }
    }

    /// Writes a pong echoing `payload` (a ping's).
    pub async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut batch = self.batch();
        batch.frame(frame::OP_PONG, payload).await?;
        batch.flush().await
    }

    /// Writes `head` then `tail` to the socket, in as few system calls as it takes.
    async fn write_two(&mut self, mut head: &[u8], mut tail: &[u8]) -> io::Result<()> {
        while !head.is_empty() {
            let slices = [IoSlice::new(head), IoSlice::new(tail)];
            let written = self.io.write_vectored(&slices).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            if written < head.len() {
                head = &head[written..];
            } else {
                tail = &tail[written - head.len()..];
                head = &[];
            }
        }
        self.io.write_all(tail).await
    }
}

/// Frames being written to a [`WebSocket`]: gathered into one buffer, written whenever it
/// holds the socket's `write_bytes`, and at [`Batch::flush`], which releases it. A
/// payload of `write_bytes` or more is written from where it is, after what is gathered.
pub(crate) struct Batch<'a> {
    /// Where the frames go.
    socket: &'a mut WebSocket,
    /// Frames gathered and not written yet.
    buffer: Vec<u8>,
}

impl Batch<'_> {
    /// Adds a text frame.
    pub async fn text(&mut self, text: &str) -> io::Result<()> {
        self.frame(frame::OP_TEXT, text.as_bytes()).await
    }

    /// Adds a binary frame.
    pub async fn binary(&mut self, data: &[u8]) -> io::Result<()> {
        self.frame(frame::OP_BINARY, data).await
    }

    /// Adds one unfragmented frame.
    async fn frame(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let limit = self.socket.write_bytes;
        if payload.len() >= limit {
            frame::put_header(&mut self.buffer, opcode, payload.len());
            let gathered = std::mem::take(&mut self.buffer);
            return self.socket.write_two(&gathered, payload).await;
        }
        frame::put_frame(&mut self.buffer, opcode, payload);
        if self.buffer.len() >= limit {
            self.socket.io.write_all(&self.buffer).await?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Adds a close frame (`close`: a code and its reason; without one, the code the
    /// client closed with, if it did), writes everything and shuts the sending side down.
    /// Errors are ignored: the client may be gone already.
    pub async fn close(mut self, close: Option<(u16, &str)>) {
        let close = close.or_else(|| self.socket.client_closed.flatten().map(|code| (code, "")));
        let payload = frame::close_payload(close);
        frame::put_frame(&mut self.buffer, frame::OP_CLOSE, &payload);
        let _ = self.socket.io.write_all(&self.buffer).await;
        let _ = self.socket.io.shutdown().await;
    }

    /// Writes what is gathered and releases the buffer.
    pub async fn flush(self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.socket.io.write_all(&self.buffer).await
    }
}

#[cfg(test)]
mod tests {
    use super::frame::tests::client_frame;
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn pair() -> (WebSocket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let early = client_frame(0x81, b"early", [1, 2, 3, 4]);
        (WebSocket::new(server, &early, 1 << 20, 64, 128), client)
    }

    #[tokio::test]
    async fn messages_are_read_and_frames_written() {
        let (mut socket, mut client) = pair().await;
        assert!(matches!(socket.next().await, Incoming::Message(Message::Text(t)) if t == "early"));
        let big = vec![b'y'; 100_000];
        client
            .write_all(&client_frame(0x82, &big, [9, 9, 9, 9]))
            .await
            .unwrap();
        match socket.next().await {
            Incoming::Message(Message::Binary(data)) => assert_eq!(data, big),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            socket.decoder.buffer().capacity(),
            0,
            "no buffer while idle"
        );
        let mut batch = socket.batch();
        batch.text("a").await.unwrap();
        batch.binary(&[7; 300]).await.unwrap();
        batch.text("b").await.unwrap();
        batch.flush().await.unwrap();
        socket.batch().close(Some((1009, "too big"))).await;
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        let mut expected = Vec::new();
        frame::put_frame(&mut expected, frame::OP_TEXT, b"a");
        frame::put_frame(&mut expected, frame::OP_BINARY, &[7; 300]);
        frame::put_frame(&mut expected, frame::OP_TEXT, b"b");
        frame::put_frame(
            &mut expected,
            frame::OP_CLOSE,
            &frame::close_payload(Some((1009, "too big"))),
        );
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn the_end_of_the_stream_and_bad_frames_end_reading() {
        let (mut socket, mut client) = pair().await;
        assert!(matches!(socket.next().await, Incoming::Message(_)));
        client.write_all(&[0x81, 0x01, b'x']).await.unwrap();
        assert!(matches!(
            socket.next().await,
            Incoming::Invalid(ReadError::Protocol(_))
        ));
        assert!(matches!(socket.next().await, Incoming::Gone));
        let (mut socket, client) = pair().await;
        assert!(matches!(socket.next().await, Incoming::Message(_)));
        drop(client);
        assert!(matches!(socket.next().await, Incoming::Gone));
    }
}
