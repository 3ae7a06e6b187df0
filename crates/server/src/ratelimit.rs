//! Response rate limiting for UDP (off by default): each client network
//! (/24 for IPv4, /56 for IPv6) gets `per_second` answers a second, with
//! a burst of as many; past that its queries are dropped, except every
//! `slip`-th, which gets an empty truncated answer (TC=1) so a real client
//! retries over TCP while a spoofed victim gets nothing sizeable. The
//! table of networks is bounded: when a shard is full, networks that are
//! back under their limit are forgotten first, then the whole shard.
//! TCP is not limited (a TCP client has proven its address).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::sync::lock;

/// Networks tracked at most, over all shards.
pub const MAX_NETWORKS: usize = 65_536;

const SHARDS: usize = 16;

/// What to do with one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit: answer it.
    Answer,
    /// Over it: an empty answer with TC=1.
    Slip,
    /// Over it: nothing.
    Drop,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Answers it may still get (fractional refill).
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    /// Queries over the limit so far (every `slip`-th slips).
    limited: u32,
}

/// The limiter.
#[derive(Debug)]
pub struct RateLimit {
    per_second: f64,
    slip: u32,
    v4_prefix: u8,
    v6_prefix: u8,
    shards: [Mutex<HashMap<u128, Bucket>>; SHARDS],
}

impl RateLimit {
    /// `per_second` answers a second per client network; every `slip`-th
    /// limited query slips (0: none do).
    pub fn new(per_second: u32, slip: u32) -> RateLimit {
        RateLimit {
            per_second: f64::from(per_second.max(1)),
            slip,
            v4_prefix: 24,
            v6_prefix: 56,
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
        }
    }

    /// The network `ip` is counted in, as a key.
    fn network(&self, ip: IpAddr) -> u128 {
        match ip {
            IpAddr::V4(a) => {
                let bits = u32::from(a) & u32::MAX.checked_shl(32 - u32::from(self.v4_prefix)).unwrap_or(0);
                u128::from(bits) | (1 << 127)
            }
            IpAddr::V6(a) => u128::from(a) & u128::MAX.checked_shl(128 - u32::from(self.v6_prefix)).unwrap_or(0),
        }
    }

    /// Count a query from `ip` at `now`.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Verdict {
        let key = self.network(ip);
        let shard = &self.shards[(key as usize ^ (key >> 64) as usize) % SHARDS];
        let mut m = lock(shard);
        if m.len() >= MAX_NETWORKS / SHARDS && !m.contains_key(&key) {
            let full = self.per_second;
            let rate = self.per_second;
            m.retain(|_, b| b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < full);
            if m.len() >= MAX_NETWORKS / SHARDS {
                m.clear();
            }
        }
        let b = m.entry(key).or_insert(Bucket { tokens: self.per_second, at: now, limited: 0 });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * self.per_second;
        b.tokens = (b.tokens + refill).min(self.per_second);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Verdict::Answer;
        }
        b.limited = b.limited.wrapping_add(1);
        if self.slip > 0 && b.limited.is_multiple_of(self.slip) { Verdict::Slip } else { Verdict::Drop }
    }
}

/// An empty truncated answer to `query` (its ID and question, TC=1), or
/// nothing when it does not parse.
pub(crate) fn slip_reply(query: &[u8]) -> Option<Vec<u8>> {
    let q = candor_wire::Message::from_wire(query).ok()?;
    let mut m = candor_wire::Message::default();
    m.header.id = q.header.id;
    m.header.flags.qr = true;
    m.header.flags.tc = true;
    m.header.flags.rd = q.header.flags.rd;
    m.questions = q.questions;
    m.to_wire().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_network_past_its_rate_is_dropped_with_every_second_slipping_and_others_are_not_touched() {
        let rl = RateLimit::new(10, 2);
        let t0 = Instant::now();
        let flood: IpAddr = "127.0.0.1".parse().unwrap();
        let verdicts: Vec<Verdict> = (0..20).map(|_| rl.check(flood, t0)).collect();
        assert!(verdicts[..10].iter().all(|v| *v == Verdict::Answer), "the burst");
        assert_eq!(verdicts[10..].iter().filter(|v| **v == Verdict::Slip).count(), 5);
        assert_eq!(verdicts[10..].iter().filter(|v| **v == Verdict::Drop).count(), 5);
        // The same /24: limited too; another /24: not.
        assert_ne!(rl.check("127.0.0.9".parse().unwrap(), t0), Verdict::Answer);
        assert_eq!(rl.check("127.0.1.1".parse().unwrap(), t0), Verdict::Answer);
        // A second later, ten more.
        let later = t0 + Duration::from_secs(1);
        assert!((0..10).all(|_| rl.check(flood, later) == Verdict::Answer));
        assert_ne!(rl.check(flood, later), Verdict::Answer);
    }

    #[test]
    fn the_table_stays_bounded() {
        let rl = RateLimit::new(1, 0);
        let t0 = Instant::now();
        for i in 0..(MAX_NETWORKS as u32 * 2) {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(i << 8));
            rl.check(ip, t0);
        }
        let held: usize = rl.shards.iter().map(|s| lock(s).len()).sum();
        assert!(held <= MAX_NETWORKS, "{held}");
    }
}
