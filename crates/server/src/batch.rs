//! Batched UDP on a socket bound to one address: up to [`BATCH`] queries
//! read with one `recvmmsg`, and the replies answered on the spot (reply-
//! cache hits) written with one `sendmmsg`. Under load a system call then
//! carries many datagrams instead of one; with one query waiting, it
//! costs what `recvfrom` and `sendto` did. Buffers are allocated once per
//! worker; the kernel's message headers once per thread (they hold raw
//! pointers, so they are not moved between threads with a task: each
//! thread keeps its own and fills them in for each call). (A wildcard socket needs each query's destination address, a
//! control message per datagram: it keeps the one-at-a-time path.)

use std::cell::RefCell;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams per system call at most.
pub(crate) const BATCH: usize = 32;

/// The longest query read; a longer one is cut short by the kernel and
/// dropped (no plain DNS query comes near it).
pub(crate) const QUERY_MAX: usize = 4096;

/// Queries read by one call.
pub(crate) struct Received {
    bufs: [Vec<u8>; BATCH],
    got: [(usize, Option<SocketAddr>); BATCH],
    n: usize,
}

thread_local! {
    /// This thread's headers for `recvmmsg` and for `sendmmsg`.
    static HEADERS: RefCell<(MultiHeaders<SockaddrStorage>, MultiHeaders<SockaddrStorage>)> =
        RefCell::new((MultiHeaders::preallocate(BATCH, None), MultiHeaders::preallocate(BATCH, None)));
}

impl Received {
    pub(crate) fn new() -> Received {
        Received { bufs: std::array::from_fn(|_| vec![0; QUERY_MAX]), got: [(0, None); BATCH], n: 0 }
    }

    /// Wait for queries and read as many as are queued (up to [`BATCH`]).
    pub(crate) async fn recv(&mut self, udp: &UdpSocket) -> io::Result<usize> {
        loop {
            udp.readable().await?;
            match udp.try_io(Interest::READABLE, || self.recv_now(udp.as_raw_fd())) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return r,
            }
        }
    }

    fn recv_now(&mut self, fd: std::os::fd::RawFd) -> io::Result<usize> {
        let (bufs, got) = (&mut self.bufs, &mut self.got);
        let n = HEADERS.with_borrow_mut(|(headers, _)| -> io::Result<usize> {
            let mut iovs = bufs.each_mut().map(|b| [IoSliceMut::new(b.as_mut_slice())]);
            let results =
                recvmmsg(fd, &mut *headers, iovs.iter_mut(), MsgFlags::MSG_DONTWAIT, None).map_err(io::Error::from)?;
            let mut n = 0;
            for (slot, m) in got.iter_mut().zip(results) {
                // A datagram cut short is not a query we can read: no sender.
                let whole = !m.flags.contains(MsgFlags::MSG_TRUNC);
                *slot = (m.bytes, m.address.and_then(|a| socket_addr(&a)).filter(|_| whole));
                n += 1;
            }
            Ok(n)
        })?;
        self.n = n;
        Ok(n)
    }

    /// The `i`th query read and its sender (`None`: skip it).
    pub(crate) fn get(&self, i: usize) -> Option<(&[u8], SocketAddr)> {
        if i >= self.n {
            return None;
        }
        let (len, peer) = *self.got.get(i)?;
        Some((self.bufs.get(i)?.get(..len)?, peer?))
    }
}

/// Replies to send together.
pub(crate) struct Outgoing {
    bufs: [Vec<u8>; BATCH],
    to: [Option<SockaddrStorage>; BATCH],
    n: usize,
}

impl Outgoing {
    pub(crate) fn new() -> Outgoing {
        Outgoing {
            bufs: std::array::from_fn(|_| Vec::with_capacity(crate::reply::MAX_UDP.into())),
            to: [None; BATCH],
            n: 0,
        }
    }

    /// The buffer for the next reply (to `peer`), if there is room; the
    /// reply counts once [`Outgoing::commit`] is called.
    pub(crate) fn next(&mut self) -> Option<&mut Vec<u8>> {
        self.bufs.get_mut(self.n)
    }

    /// The reply written into [`Outgoing::next`]'s buffer goes to `peer`.
    pub(crate) fn commit(&mut self, peer: SocketAddr) {
        if let Some(slot) = self.to.get_mut(self.n) {
            *slot = Some(SockaddrStorage::from(peer));
            self.n += 1;
        }
    }

    /// Send every reply queued (one `sendmmsg` when the socket takes them
    /// all; the rest one at a time).
    pub(crate) async fn flush(&mut self, udp: &UdpSocket) {
        let n = std::mem::take(&mut self.n);
        if n == 0 {
            return;
        }
        let sent = udp.try_io(Interest::WRITABLE, || self.send_now(udp.as_raw_fd(), n)).unwrap_or(0);
        for i in sent..n {
            let (Some(buf), Some(Some(to))) = (self.bufs.get(i), self.to.get(i)) else { continue };
            if let Some(peer) = socket_addr(to) {
                let _ = udp.send_to(buf, peer).await;
            }
        }
    }

    fn send_now(&mut self, fd: std::os::fd::RawFd, n: usize) -> io::Result<usize> {
        let (bufs, to) = (&self.bufs, self.to.get(..n).unwrap_or(&[]));
        HEADERS.with_borrow_mut(|(_, headers)| {
            let iovs = bufs.each_ref().map(|b| [IoSlice::new(b)]);
            let results = sendmmsg(fd, &mut *headers, iovs.iter().take(n), to, [], MsgFlags::MSG_DONTWAIT)
                .map_err(io::Error::from)?;
            Ok(results.count())
        })
    }
}

fn socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queued_datagrams_come_in_one_read_and_replies_go_out_together() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for i in 0..5u8 {
            client.send_to(&[i; 20], addr).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut rx = Received::new();
        assert_eq!(rx.recv(&server).await.unwrap(), 5, "all five in one call");
        let mut tx = Outgoing::new();
        for i in 0..5 {
            let (q, peer) = rx.get(i).unwrap();
            assert_eq!(q, &[i as u8; 20]);
            assert_eq!(peer, client.local_addr().unwrap());
            let out = tx.next().unwrap();
            out.clear();
            out.extend_from_slice(&[0x80 | i as u8; 30]);
            tx.commit(peer);
        }
        assert!(rx.get(5).is_none());
        tx.flush(&server).await;
        let mut buf = [0u8; 64];
        for i in 0..5u8 {
            let (n, _) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[0x80 | i; 30]);
        }
    }

    #[tokio::test]
    async fn an_oversized_datagram_is_skipped() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(&vec![7u8; QUERY_MAX + 100], server.local_addr().unwrap()).await.unwrap();
        client.send_to(&[1u8; 12], server.local_addr().unwrap()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut rx = Received::new();
        assert_eq!(rx.recv(&server).await.unwrap(), 2);
        assert!(rx.get(0).is_none(), "cut short: skipped");
        assert_eq!(rx.get(1).unwrap().0, &[1u8; 12]);
    }
}
