//! One TLS record per HTTP/2 response: the writes hyper makes (frames of
//! several streams in one buffer, or one response's HEADERS and DATA in
//! separate writes) are regrouped so that each response, up to and
//! including the frame that ends its stream, goes to TLS in one write
//! (one record), and no record holds two responses. HTTP/2 does not need
//! it; DoH clients that take one TLS read for one response (dnsperf's)
//! do: they lose the second response of a record, or wait for a read
//! that never comes. Frames that end no stream (SETTINGS, PING,
//! WINDOW_UPDATE) go with the next response or at the next flush.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes held before a write waits for the ones before it to go out.
const HELD_MAX: usize = 256 * 1024;

/// An HTTP/2 frame header: length (3), type, flags, stream (4).
const FRAME_HEADER: usize = 9;

/// The END_STREAM flag of DATA (type 0) and HEADERS (type 1) frames.
const END_STREAM: u8 = 0x1;

/// A stream writing HTTP/2 frames response by response (see the module).
pub(crate) struct ResponseRecords<S> {
    inner: S,
    /// Bytes written to us and not yet passed on.
    held: Vec<u8>,
    /// How much of `held` has been passed on.
    sent: usize,
    /// How much of `held` has been parsed into whole frames.
    parsed: usize,
    /// Where in `held` responses end (after a frame that ends a stream).
    ends: std::collections::VecDeque<usize>,
}

impl<S> ResponseRecords<S> {
    pub(crate) fn new(inner: S) -> Self {
        ResponseRecords { inner, held: Vec::new(), sent: 0, parsed: 0, ends: std::collections::VecDeque::new() }
    }

    /// Parse the whole frames newly held, noting where responses end.
    fn parse(&mut self) {
        while let Some(header) = self.held.get(self.parsed..self.parsed + FRAME_HEADER) {
            let len = usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let (kind, flags) = (header[3], header[4]);
            let end = self.parsed + FRAME_HEADER + len;
            if end > self.held.len() {
                return;
            }
            self.parsed = end;
            if kind <= 1 && flags & END_STREAM != 0 {
                self.ends.push_back(end);
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> ResponseRecords<S> {
    /// Pass on what is held: each response in a write of its own, then
    /// the rest (at a flush, `all`) in one more.
    fn drain(&mut self, cx: &mut Context<'_>, all: bool) -> Poll<std::io::Result<()>> {
        loop {
            let end = match self.ends.front() {
                Some(end) => *end,
                None if all => self.held.len(),
                None => break,
            };
            if self.sent >= end {
                if self.ends.pop_front().is_none() {
                    break;
                }
                continue;
            }
            let chunk = self.held.get(self.sent..end).unwrap_or(&[]);
            match Pin::new(&mut self.inner).poll_write(cx, chunk) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // Everything passed on: start the buffer again.
        if self.sent == self.held.len() {
            self.held.clear();
            self.ends.clear();
            (self.sent, self.parsed) = (0, 0);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ResponseRecords<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.held.len() - this.sent >= HELD_MAX {
            match this.drain(cx, true) {
                Poll::Ready(Ok(())) => {}
                other => return other.map(|r| r.map(|()| 0)),
            }
        }
        this.held.extend_from_slice(buf);
        this.parse();
        // Whole responses go out at once; a write error shows at the next call.
        if let Poll::Ready(Err(e)) = this.drain(cx, false) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match this.drain(cx, true) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match this.drain(cx, true) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ResponseRecords<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A writer that records each write it is given.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl AsyncWrite for Writes {
        fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
            self.0.push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn frame(kind: u8, flags: u8, stream: u8, payload: usize) -> Vec<u8> {
        let mut f = vec![0, 0, payload as u8, kind, flags, 0, 0, 0, stream];
        f.extend(std::iter::repeat_n(stream, payload));
        f
    }

    #[tokio::test]
    async fn each_response_leaves_in_one_write_and_no_write_holds_two() {
        let mut w = ResponseRecords::new(Writes::default());
        let settings = frame(4, 0, 0, 6);
        let (h1, d1) = (frame(1, 4, 1, 5), frame(0, END_STREAM, 1, 3));
        let (h3, d3) = (frame(1, 4, 3, 5), frame(0, END_STREAM, 3, 3));
        let h5_only = frame(1, 4 | END_STREAM, 5, 5); // HEADERS ending its stream
        // Two responses and a half written in one go, split mid-frame.
        let all = [settings.clone(), h1.clone(), d1.clone(), h3.clone(), d3.clone(), h5_only.clone()].concat();
        let (a, b) = all.split_at(20);
        w.write_all(a).await.unwrap();
        w.write_all(b).await.unwrap();
        w.flush().await.unwrap();
        let writes = std::mem::take(&mut w.inner.0);
        assert_eq!(writes, vec![[settings, h1, d1].concat(), [h3, d3].concat(), h5_only]);
        // A trailing frame that ends no stream goes out at the flush.
        let ping = frame(6, 0, 0, 8);
        w.write_all(&ping).await.unwrap();
        assert!(w.inner.0.is_empty(), "held until a response or a flush");
        w.flush().await.unwrap();
        assert_eq!(w.inner.0, vec![ping]);
        assert!(w.held.is_empty());
    }
}
