//! Signature expiry early warning from live traffic: for each zone whose
//! secure data was resolved in the last day, the earliest RRSIG
//! expiration seen (two day-long buckets: a zone re-signed since is
//! forgotten a day later), and one WARN line per zone and expiration when
//! it comes within `expiry-warning` (48 h by default):
//! `zone example.com.: RRSIGs expire in 20 h (...Z); re-sign before then,
//! the signer may have stopped`. The metrics show the soonest zones and
//! `candor control expiring` lists them. Bounded: the zones seen most
//! recently, at most [`ZONES`].

use std::num::NonZeroUsize;

use candor_wire::{Name, RData};
use lru::LruCache;

use crate::security::{Resolution, Security};
use crate::sync::lock;

/// Zones tracked at most (the least recently seen go).
const ZONES: usize = 4096;

/// One day, in seconds: the length of a bucket.
const DAY: u64 = 86_400;

#[derive(Debug, Clone, Copy)]
struct Seen {
    /// The earliest expiration seen in the current bucket, and in the one before.
    today: u32,
    yesterday: Option<u32>,
    /// When the current bucket began (unix seconds).
    since: u64,
    /// The expiration last warned about.
    warned: Option<u32>,
}

impl Seen {
    fn earliest(&self) -> u32 {
        self.yesterday.map_or(self.today, |y| if before(y, self.today) { y } else { self.today })
    }
}

/// `a` before `b`, in serial arithmetic (RFC 1982).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// The zones' earliest signature expirations.
#[derive(Debug)]
pub(crate) struct Expiring {
    zones: std::sync::Mutex<LruCache<Name, Seen>>,
}

impl Default for Expiring {
    fn default() -> Expiring {
        Expiring { zones: std::sync::Mutex::new(LruCache::new(NonZeroUsize::new(ZONES).unwrap_or(NonZeroUsize::MIN))) }
    }
}

impl Expiring {
    /// Note the RRSIGs of a secure resolution at `now`; the zones whose
    /// earliest expiration just came within `warn_within` seconds (each
    /// warned about once per expiration): (zone, expiration).
    pub(crate) fn observe(&self, r: &Resolution, now: u64, warn_within: u64) -> Vec<(Name, u32)> {
        if r.security != Security::Secure {
            return Vec::new();
        }
        let mut warn = Vec::new();
        let mut zones = lock(&self.zones);
        for rr in r.answers.iter().chain(&r.authority) {
            let RData::Rrsig(sig) = &rr.data else { continue };
            // Already expired: a validation failure, not a warning.
            if before(sig.expiration, now as u32) {
                continue;
            }
            let zone = sig.signer.to_lowercase();
            let seen = match zones.get_mut(&zone) {
                Some(s) => {
                    if now >= s.since + DAY {
                        // A new bucket: what was seen before it ages out a day later.
                        s.yesterday = Some(s.today);
                        s.today = sig.expiration;
                        s.since = now;
                    } else if before(sig.expiration, s.today) {
                        s.today = sig.expiration;
                    }
                    *s
                }
                None => {
                    let s = Seen { today: sig.expiration, yesterday: None, since: now, warned: None };
                    zones.put(zone.clone(), s);
                    s
                }
            };
            let earliest = seen.earliest();
            let left = u64::from(earliest.wrapping_sub(now as u32));
            if left < warn_within && seen.warned != Some(earliest) {
                if let Some(s) = zones.get_mut(&zone) {
                    s.warned = Some(earliest);
                }
                warn.push((zone, earliest));
            }
        }
        warn
    }

    /// The zones seen in the last two days, soonest expiration first, at
    /// most `n`: (zone, expiration).
    pub(crate) fn soonest(&self, now: u64, n: usize) -> Vec<(Name, u32)> {
        let zones = lock(&self.zones);
        let mut all: Vec<(Name, u32)> = zones
            .iter()
            .filter(|(_, s)| now < s.since + 2 * DAY)
            .map(|(z, s)| (z.clone(), s.earliest()))
            .filter(|(_, e)| !before(*e, now as u32))
            .collect();
        all.sort_by_key(|(_, e)| e.wrapping_sub(now as u32));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(zone: &str, expiration: u32) -> Resolution {
        let text = format!(
            "www.{zone} 300 A 192.0.2.1\nwww.{zone} 300 RRSIG A 13 3 300 {expiration} 1700000000 1 {zone} AAAA\n"
        );
        let mut r =
            Resolution::servfail(crate::Failure::new(crate::FailureKind::NoReachableAuthority, Name::root(), 0));
        r.answers = candor_wire::text::parse_zone(&text, None).unwrap();
        r.security = Security::Secure;
        r
    }

    #[test]
    fn a_zone_whose_signatures_near_their_end_is_warned_about_once() {
        let e = Expiring::default();
        let now = 1_800_000_000u64;
        let h = 3600u32;
        assert!(e.observe(&signed("far.test.", now as u32 + 20 * 24 * h), now, 48 * 3600).is_empty());
        let warned = e.observe(&signed("soon.test.", now as u32 + 10 * h), now, 48 * 3600);
        assert_eq!(warned, vec![("soon.test.".parse().unwrap(), now as u32 + 10 * h)]);
        assert!(e.observe(&signed("soon.test.", now as u32 + 10 * h), now + 60, 48 * 3600).is_empty(), "once");
        let soonest = e.soonest(now, 10);
        assert_eq!(soonest.iter().map(|(z, _)| z.to_string()).collect::<Vec<_>>(), ["soon.test.", "far.test."]);
        // Not secure, or already expired: nothing.
        let mut insecure = signed("other.test.", now as u32 + h);
        insecure.security = Security::Insecure(None);
        assert!(e.observe(&insecure, now, 48 * 3600).is_empty());
        assert!(e.observe(&signed("gone.test.", now as u32 - h), now, 48 * 3600).is_empty());
    }

    #[test]
    fn a_zone_re_signed_is_forgotten_a_day_later() {
        let e = Expiring::default();
        let now = 1_800_000_000u64;
        e.observe(&signed("z.test.", now as u32 + 5 * 86_400), now, 0);
        // Re-signed: later signatures seen from now on.
        e.observe(&signed("z.test.", now as u32 + 30 * 86_400), now + 2 * 86_400, 0);
        assert_eq!(e.soonest(now + 2 * 86_400, 1)[0].1, now as u32 + 5 * 86_400, "the old one, within the day");
        e.observe(&signed("z.test.", now as u32 + 30 * 86_400), now + 3 * 86_400 + 1, 0);
        assert_eq!(e.soonest(now + 3 * 86_400 + 1, 1)[0].1, now as u32 + 30 * 86_400, "a day later: the new one");
    }
}
