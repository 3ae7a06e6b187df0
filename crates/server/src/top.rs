//! The zones that failed validation and the servers that failed to answer
//! most in the last hour, for `candor control stats`: counts per zone and
//! per server address in hour-long windows (a window older than an hour
//! starts again at its next failure, and is not listed), the most recently
//! failing [`KEPT`] of each remembered.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use candor_resolver::{Evidence, Failure, Outcome};
use candor_wire::Name;
use lru::LruCache;

/// Zones and servers remembered at most, each.
const KEPT: usize = 1024;

/// The window counts are kept over.
const HOUR: Duration = Duration::from_secs(3600);

/// Failure counts per bogus zone and per failing server.
#[derive(Debug)]
pub(crate) struct Top {
    zones: std::sync::Mutex<LruCache<Name, (Instant, u64)>>,
    servers: std::sync::Mutex<LruCache<SocketAddr, (Instant, u64)>>,
}

impl Default for Top {
    fn default() -> Top {
        let n = NonZeroUsize::new(KEPT).unwrap_or(NonZeroUsize::MIN);
        Top { zones: std::sync::Mutex::new(LruCache::new(n)), servers: std::sync::Mutex::new(LruCache::new(n)) }
    }
}

fn count<K: std::hash::Hash + Eq>(map: &std::sync::Mutex<LruCache<K, (Instant, u64)>>, key: K, now: Instant) {
    let mut m = crate::sync::lock(map);
    match m.get_mut(&key) {
        Some((since, n)) if now.saturating_duration_since(*since) < HOUR => *n += 1,
        Some(entry) => *entry = (now, 1),
        None => {
            m.put(key, (now, 1));
        }
    }
}

fn top<K: Clone + std::hash::Hash + Eq>(
    map: &std::sync::Mutex<LruCache<K, (Instant, u64)>>,
    now: Instant,
    n: usize,
) -> Vec<(K, u64)> {
    let m = crate::sync::lock(map);
    let mut all: Vec<(K, u64)> = m
        .iter()
        .filter(|(_, (since, _))| now.saturating_duration_since(*since) < HOUR)
        .map(|(k, (_, c))| (k.clone(), *c))
        .collect();
    all.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    all.truncate(n);
    all
}

impl Top {
    /// A fresh failure: a bogus one counts against its zone; the servers
    /// it tried that did not answer usefully count against them.
    pub(crate) fn note(&self, f: &Failure, bogus: bool, now: Instant) {
        if bogus {
            count(&self.zones, f.zone.to_lowercase(), now);
        }
        for e in &f.evidence {
            if let Evidence::Servers(tried) = e {
                for t in tried.iter().filter(|t| !matches!(t.outcome, Outcome::Weak)) {
                    count(&self.servers, t.addr, now);
                }
            }
        }
    }

    /// The `n` zones with the most validation failures in the last hour.
    pub(crate) fn zones(&self, now: Instant, n: usize) -> Vec<(Name, u64)> {
        top(&self.zones, now, n)
    }

    /// The `n` servers that failed to answer most in the last hour.
    pub(crate) fn servers(&self, now: Instant, n: usize) -> Vec<(SocketAddr, u64)> {
        top(&self.servers, now, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_resolver::{FailureKind, ServerTry};

    #[test]
    fn the_most_failing_zones_and_servers_of_the_last_hour_come_first() {
        let top = Top::default();
        let t0 = Instant::now();
        let zone = |z: &str| Failure::new(FailureKind::SignatureExpired, z.parse().unwrap(), 0);
        for _ in 0..3 {
            top.note(&zone("a.test."), true, t0);
        }
        top.note(&zone("b.test."), true, t0);
        top.note(&zone("not-bogus.test."), false, t0);
        let mut unanswered = Failure::new(FailureKind::NoReachableAuthority, "c.test.".parse().unwrap(), 0);
        let server: SocketAddr = "192.0.2.53:53".parse().unwrap();
        unanswered.evidence.push(Evidence::Servers(vec![ServerTry {
            addr: server,
            ns: None,
            outcome: Outcome::Timeouts(1),
        }]));
        top.note(&unanswered, false, t0);
        top.note(&unanswered, false, t0);
        let zones: Vec<(String, u64)> = top.zones(t0, 10).into_iter().map(|(z, n)| (z.to_string(), n)).collect();
        assert_eq!(zones, vec![("a.test.".to_owned(), 3), ("b.test.".to_owned(), 1)]);
        assert_eq!(top.servers(t0, 10), vec![(server, 2)]);
        // An hour on: nothing listed; the next failure starts again at one.
        assert!(top.zones(t0 + HOUR, 10).is_empty());
        top.note(&zone("a.test."), true, t0 + HOUR);
        assert_eq!(top.zones(t0 + HOUR, 10)[0].1, 1);
    }
}
