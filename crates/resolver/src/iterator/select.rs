//! Server selection: a smoothed RTT per server address, fastest first,
//! with some exploration so a recovered server is noticed; timeouts back a
//! server off; an unreachable IPv6 network is remembered so AAAA-only paths
//! do not cost a timeout per query on an IPv4-only host; a server whose
//! answers for a zone come truncated over UDP is asked over TCP first for
//! a while, so each question does not pay a UDP exchange for nothing.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Duration;

use lru::LruCache;
use ring::rand::{SecureRandom, SystemRandom};

use candor_wire::Name;

use crate::sync::lock;

/// A server never measured is assumed this fast (so it gets tried).
const UNKNOWN_RTT: Duration = Duration::from_millis(50);
/// The slowest a server is believed to be.
const MAX_RTT: Duration = Duration::from_secs(10);
/// How long an unreachable IPv6 network is skipped.
const V6_BACKOFF: Duration = Duration::from_secs(60);
/// One selection in this many puts a random server first.
const EXPLORE_ONE_IN: u8 = 20;

/// Servers whose RTT is remembered at most.
const MAX_SERVERS: usize = 20_000;

/// How long a server whose answer for a zone came truncated over UDP is
/// asked over TCP first for that zone (renewed by each truncated answer).
const TCP_FIRST_FOR: Duration = Duration::from_secs(60);

/// Server and zone pairs remembered as truncating, at most.
const MAX_TRUNCATING: usize = 4_096;

/// Per-server statistics shared by all resolutions.
#[derive(Debug)]
pub(crate) struct ServerStats {
    /// Smoothed RTTs, the least recently used forgotten past
    /// [`MAX_SERVERS`] (a forgotten server starts again as unknown).
    srtt: Mutex<LruCache<IpAddr, Duration>>,
    v6_down_until: Mutex<Option<Duration>>,
    /// A server and zone (hashed with `keyed`) whose answers come
    /// truncated over UDP -> until when TCP is tried first.
    truncating: Mutex<LruCache<u64, Duration>>,
    keyed: RandomState,
    rng: SystemRandom,
    /// Put a random server first now and then (off: deterministic order,
    /// for replays).
    explore: bool,
}

impl Default for ServerStats {
    fn default() -> ServerStats {
        ServerStats::new(true)
    }
}

impl ServerStats {
    /// Statistics, with or without random exploration.
    pub(crate) fn new(explore: bool) -> ServerStats {
        let cap = NonZeroUsize::new(MAX_SERVERS).unwrap_or(NonZeroUsize::MIN);
        ServerStats {
            srtt: Mutex::new(LruCache::new(cap)),
            v6_down_until: Mutex::default(),
            truncating: Mutex::new(LruCache::new(NonZeroUsize::new(MAX_TRUNCATING).unwrap_or(NonZeroUsize::MIN))),
            keyed: RandomState::new(),
            rng: SystemRandom::new(),
            explore,
        }
    }

    /// The smoothed RTT of a server, if measured (for the tests of the order).
    #[cfg(test)]
    pub(crate) fn srtt(&self, ip: IpAddr) -> Option<Duration> {
        lock(&self.srtt).peek(&ip).copied()
    }

    /// Order `servers` for asking at monotonic time `now`: IPv6 left out
    /// while its network is down, fastest first, sometimes one at random first.
    pub(crate) fn order(&self, servers: &[SocketAddr], now: Duration) -> Vec<SocketAddr> {
        let v6_down = lock(&self.v6_down_until).is_some_and(|until| now < until);
        let srtt = lock(&self.srtt);
        let mut v: Vec<SocketAddr> = servers.iter().copied().filter(|s| !(v6_down && s.is_ipv6())).collect();
        v.sort_by_key(|s| srtt.peek(&s.ip()).copied().unwrap_or(UNKNOWN_RTT));
        drop(srtt);
        let mut r = [0u8; 2];
        if self.explore && v.len() > 1 && self.rng.fill(&mut r).is_ok() && r[0] % EXPLORE_ONE_IN == 0 {
            let i = usize::from(r[1]) % v.len();
            let s = v.remove(i);
            v.insert(0, s);
        }
        v
    }

    /// Record an answer that took `rtt`.
    pub(crate) fn answered(&self, server: SocketAddr, rtt: Duration) {
        let mut m = lock(&self.srtt);
        let e = m.get_or_insert_mut(server.ip(), || rtt);
        // The classic 7/8 smoothing.
        *e = (*e * 7 + rtt) / 8;
    }

    /// Record a timeout: the server's estimate doubles (at least the timeout).
    pub(crate) fn timed_out(&self, server: SocketAddr, timeout: Duration) {
        let mut m = lock(&self.srtt);
        let e = m.get_or_insert_mut(server.ip(), || UNKNOWN_RTT);
        *e = (*e * 2).max(timeout).min(MAX_RTT);
    }

    /// Record that the IPv6 network is unreachable at monotonic time `now`.
    pub(crate) fn v6_unreachable(&self, now: Duration) {
        *lock(&self.v6_down_until) = Some(now + V6_BACKOFF);
    }

    /// Whether `server` is to be asked over TCP first for `zone` at
    /// monotonic time `now` (its answers for it came truncated lately).
    pub(crate) fn tcp_first(&self, server: SocketAddr, zone: &Name, now: Duration) -> bool {
        let key = self.keyed.hash_one((server.ip(), zone));
        lock(&self.truncating).peek(&key).is_some_and(|until| now < *until)
    }

    /// Record an answer of `server` for `zone`: `truncated` over UDP (TCP
    /// first from now on), or not (one over TCP small enough for UDP, or
    /// TCP failing: UDP first again). A spoofed truncation only moves
    /// questions to TCP.
    pub(crate) fn truncation(&self, server: SocketAddr, zone: &Name, now: Duration, truncated: bool) {
        let key = self.keyed.hash_one((server.ip(), zone));
        let mut m = lock(&self.truncating);
        if truncated {
            m.put(key, now + TCP_FIRST_FOR);
        } else {
            m.pop(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn fastest_first_timeouts_back_off_v6_skipped_while_down() {
        let st = ServerStats::default();
        let (fast, slow, six) = (a("127.0.0.1:53"), a("127.0.0.2:53"), a("[::1]:53"));
        st.answered(fast, Duration::from_millis(5));
        st.timed_out(slow, Duration::from_secs(1));
        assert_eq!(st.srtt(slow.ip()), Some(Duration::from_secs(1)));
        // Over many orderings the fast one leads nearly always.
        let firsts = (0..200).filter(|_| st.order(&[slow, fast], Duration::ZERO)[0] == fast).count();
        assert!(firsts > 150, "{firsts}");
        st.v6_unreachable(Duration::from_secs(10));
        assert!(!st.order(&[six, fast], Duration::from_secs(20)).contains(&six));
        assert!(st.order(&[six, fast], Duration::from_secs(71)).contains(&six));
        st.timed_out(slow, Duration::from_secs(1));
        st.timed_out(slow, Duration::from_secs(1));
        st.timed_out(slow, Duration::from_secs(1));
        st.timed_out(slow, Duration::from_secs(1));
        assert_eq!(st.srtt(slow.ip()), Some(MAX_RTT));
    }
}
