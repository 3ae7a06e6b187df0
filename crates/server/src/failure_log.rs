//! The WARN line for a failed question, rate-limited: one line per zone
//! and failure kind a minute, the next one saying how many were held back,
//! so one bogus zone asked under many names is a line, not a page. The
//! question, zone, kind, EDE code and server are separate fields (so the
//! JSON log carries them as such); a DNSSEC failure says so, a question
//! that got no answer at all says that instead.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use candor_resolver::{FailureKind, Resolution, Security};
use candor_wire::{Name, RType};
use lru::LruCache;

/// One line per zone and kind within this long.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// Zones and kinds remembered at most (the least recently failed go).
const KEPT: usize = 1024;

/// The lines held back, per zone and failure kind.
#[derive(Debug)]
pub(crate) struct FailureLog {
    recent: std::sync::Mutex<LruCache<(Name, FailureKind), (Instant, u64)>>,
    /// The zones and servers failing most in the last hour.
    pub(crate) top: crate::top::Top,
}

impl Default for FailureLog {
    fn default() -> FailureLog {
        FailureLog {
            recent: std::sync::Mutex::new(LruCache::new(NonZeroUsize::new(KEPT).unwrap_or(NonZeroUsize::MIN))),
            top: crate::top::Top::default(),
        }
    }
}

impl FailureLog {
    /// Log the failure of `qname`/`qtype` (when `r` is one, and fresh: a
    /// failure answered from the cache was logged when it happened).
    pub(crate) fn report(&self, qname: &Name, qtype: RType, r: &Resolution) {
        if r.from_cache {
            return;
        }
        let (f, bogus) = match &r.security {
            Security::Bogus(f) => (f, true),
            Security::Servfail(f) => (f, false),
            _ => return,
        };
        self.top.note(f, bogus, Instant::now());
        let Some(held_back) = self.admit(&f.zone, f.kind, Instant::now()) else { return };
        let (code, text) = f.ede();
        // Left out when not known (the failure names no server).
        let server = f.server().map(|s| s.to_string());
        let server = server.as_deref();
        let (qname, zone, kind) = (qname.to_string(), f.zone.to_string(), f.kind.id());
        let more = if held_back > 0 {
            format!(" ({held_back} more like it in this zone held back in the last minute)")
        } else {
            String::new()
        };
        if bogus {
            tracing::warn!(qname, %qtype, zone, kind, ede = code, server, held_back, "DNSSEC validation failed: {text}{more}");
        } else {
            tracing::warn!(qname, %qtype, zone, kind, ede = code, server, held_back, "no answer: {text}{more}");
        }
    }

    /// Whether a failure of `kind` in `zone` at `now` is logged: `Some`
    /// with the count held back since the last line, or `None` (held back).
    pub(crate) fn admit(&self, zone: &Name, kind: FailureKind, now: Instant) -> Option<u64> {
        let mut recent = crate::sync::lock(&self.recent);
        let key = (zone.to_lowercase(), kind);
        match recent.get_mut(&key) {
            Some((since, held)) if now.saturating_duration_since(*since) < WINDOW => {
                *held += 1;
                None
            }
            Some(entry) => {
                let held = entry.1;
                *entry = (now, 0);
                Some(held)
            }
            None => {
                recent.put(key, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_zone_and_kind_a_minute_then_the_count_held_back() {
        let log = FailureLog::default();
        let (zone, other): (Name, Name) = ("bogus.test.".parse().unwrap(), "other.test.".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(log.admit(&zone, FailureKind::SignatureExpired, t0), Some(0));
        for i in 1..32 {
            assert_eq!(log.admit(&zone, FailureKind::SignatureExpired, t0 + Duration::from_millis(i)), None);
        }
        // Another zone, or another kind in the same zone: a line of its own.
        assert_eq!(log.admit(&other, FailureKind::SignatureExpired, t0), Some(0));
        assert_eq!(log.admit(&zone, FailureKind::DsNoMatchingKey, t0), Some(0));
        // The zone's name in another case is the same zone.
        let upper: Name = "BOGUS.test.".parse().unwrap();
        assert_eq!(log.admit(&upper, FailureKind::SignatureExpired, t0 + Duration::from_secs(1)), None);
        assert_eq!(log.admit(&zone, FailureKind::SignatureExpired, t0 + WINDOW), Some(32));
        assert_eq!(log.admit(&zone, FailureKind::SignatureExpired, t0 + WINDOW + Duration::from_secs(1)), None);
    }
}
