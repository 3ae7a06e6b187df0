//! Upstream UDP sockets kept for reuse, without giving away their ports.
//!
//! A query takes the socket in one of [`SLOTS`] slots chosen uniformly at
//! random (one per address family); an empty slot means a fresh socket,
//! bound to a port the kernel picks at random from its ephemeral range.
//! The socket serves that one query alone and goes back into its slot
//! only after a clean exchange (the matching answer, nothing else heard
//! on it); after [`USES`] queries it is closed, and the slot's next user
//! gets a fresh port. What reuse saves is the socket, bind and close
//! system calls and the kernel's port search of every query.
//!
//! The entropy this leaves: against an off-path spoofer who has not seen
//! the pool, a port is one of the kernel's range (28,232 ports on a
//! default Linux, 14.8 bits); against one who has learnt every pooled
//! port (by asking for names in a zone of their own), one of at most
//! `SLOTS` = 1,024 (10 bits), on top of the 16-bit ID and the 0x20 case
//! of the name, and each port stops being used after `USES` queries.
//!
//! Sockets wait in the pool as `std` sockets: a socket is registered
//! with whichever runtime's reactor takes it, so a pool outlives and
//! crosses runtimes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket as StdSocket};
use std::sync::Mutex;

use tokio::net::UdpSocket;

/// Slots per address family (a power of two: a slot is drawn uniformly).
pub(crate) const SLOTS: usize = 1024;

/// Queries one socket serves before it is closed.
pub(crate) const USES: u32 = 32;

/// An idle socket and how many queries it has served.
#[derive(Debug)]
struct Idle {
    sock: StdSocket,
    uses: u32,
}

/// The pool: [`SLOTS`] slots for IPv4 sockets, as many for IPv6.
#[derive(Debug)]
pub(crate) struct SocketPool {
    v4: Vec<Mutex<Option<Idle>>>,
    v6: Vec<Mutex<Option<Idle>>>,
}

/// A socket lent to one query; [`SocketPool::give_back`] after a clean
/// exchange, dropped (closed) otherwise.
#[derive(Debug)]
pub(crate) struct Lease {
    /// The socket, registered with the current runtime.
    pub sock: UdpSocket,
    slot: usize,
    uses: u32,
}

impl SocketPool {
    /// An empty pool.
    pub(crate) fn new() -> SocketPool {
        let slots = || (0..SLOTS).map(|_| Mutex::new(None)).collect();
        SocketPool { v4: slots(), v6: slots() }
    }

    fn family(&self, v6: bool) -> &[Mutex<Option<Idle>>] {
        if v6 { &self.v6 } else { &self.v4 }
    }

    /// A socket for a query to `server`: the one in slot `random %
    /// SLOTS` (the caller draws `random` uniformly, with the query ID), or
    /// a fresh one when that slot is empty.
    pub(crate) fn take(&self, server: SocketAddr, random: u16) -> std::io::Result<Lease> {
        let slot = usize::from(random) % SLOTS;
        let family = self.family(server.is_ipv6());
        let idle = family.get(slot).and_then(|m| crate::sync::lock(m).take());
        let (sock, uses) = match idle {
            Some(i) => (i.sock, i.uses),
            None => {
                let local: SocketAddr = match server.ip() {
                    IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                    IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
                };
                // Non-blocking from the start (no extra system call).
                let domain = socket2::Domain::for_address(local);
                let s = socket2::Socket::new(domain, socket2::Type::DGRAM.nonblocking(), None)?;
                s.bind(&local.into())?;
                (StdSocket::from(s), 0)
            }
        };
        Ok(Lease { sock: UdpSocket::from_std(sock)?, slot, uses: uses + 1 })
    }

    /// Put a socket back after a clean exchange (closed instead once it
    /// has served [`USES`] queries, or when its slot was filled meanwhile).
    pub(crate) fn give_back(&self, lease: Lease, v6: bool) {
        if lease.uses >= USES {
            return;
        }
        let Ok(sock) = lease.sock.into_std() else { return };
        if let Some(m) = self.family(v6).get(lease.slot) {
            let mut slot = crate::sync::lock(m);
            if slot.is_none() {
                *slot = Some(Idle { sock, uses: lease.uses });
            }
        }
    }

    /// Idle sockets in the pool.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.v4.iter().chain(&self.v6).filter(|m| crate::sync::lock(m).is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::{SecureRandom, SystemRandom};

    #[tokio::test]
    async fn a_socket_is_reused_from_its_slot_and_retired_after_its_uses() {
        let pool = SocketPool::new();
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let rng = SystemRandom::new();
        let draw = || {
            let mut r = [0u8; 2];
            rng.fill(&mut r).unwrap();
            u16::from_le_bytes(r)
        };
        let first = pool.take(server, draw()).unwrap();
        let (slot, port) = (first.slot, first.sock.local_addr().unwrap().port());
        assert_ne!(port, 0);
        pool.give_back(first, false);
        assert_eq!(pool.idle(), 1);
        // Drawn until the same slot comes up: the same socket, one use more.
        let mut seen_again = false;
        for _ in 0..20 * SLOTS {
            let l = pool.take(server, draw()).unwrap();
            if l.slot == slot {
                assert_eq!(l.sock.local_addr().unwrap().port(), port);
                assert_eq!(l.uses, 2);
                seen_again = true;
                break;
            }
            // Other slots start empty: fresh sockets, not put back here.
            assert_eq!(l.uses, 1);
        }
        assert!(seen_again, "slot {slot} never drawn");
        // A socket at its last use is closed, not put back.
        let mut l = pool.take(server, slot as u16).unwrap();
        assert_eq!(l.slot, slot);
        l.uses = USES;
        pool.give_back(l, false);
        assert_eq!(pool.idle(), 0);
    }

    #[test]
    fn every_draw_of_sixteen_bits_names_a_slot_and_each_slot_as_often() {
        // 65,536 is a multiple of SLOTS: a uniform u16 gives a uniform slot.
        assert_eq!(65_536 % SLOTS, 0);
        let mut counts = vec![0u32; SLOTS];
        for r in 0..=u16::MAX {
            counts[usize::from(r) % SLOTS] += 1;
        }
        assert!(counts.iter().all(|c| *c == (65_536 / SLOTS) as u32));
    }
}
