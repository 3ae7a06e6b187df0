//! Minimised names a zone's servers answered NXDOMAIN without a proof that
//! ends the search (an unsigned zone, or a denial that did not validate):
//! the iterator then asks the whole name, and for a while asks the whole
//! name at once for other names below the same one, instead of sending the
//! minimised question again for each (RFC 9156 §2.3 lets a resolver stop
//! minimising where it learns nothing; RFC 8020 would even answer
//! NXDOMAIN from such a reply, which candor does only for a validated one,
//! because some servers say NXDOMAIN for empty non-terminals).

use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Duration;

use candor_wire::Name;
use lru::LruCache;

use crate::sync::lock;

/// How long a dead end is remembered: asking the whole name is always
/// right, only less private, so this bounds nothing but that.
const REMEMBERED: Duration = Duration::from_secs(60);

/// Dead ends remembered at most (the least recently used go first).
const MAX_DEAD_ENDS: usize = 4_096;

/// Minimised names that led nowhere, by a keyed hash of the name.
#[derive(Debug)]
pub(crate) struct DeadEnds {
    until: Mutex<LruCache<u64, Duration>>,
    keyed: RandomState,
}

impl Default for DeadEnds {
    fn default() -> DeadEnds {
        DeadEnds {
            until: Mutex::new(LruCache::new(NonZeroUsize::new(MAX_DEAD_ENDS).unwrap_or(NonZeroUsize::MIN))),
            keyed: RandomState::new(),
        }
    }
}

impl DeadEnds {
    /// Remember that minimising to `name` got an NXDOMAIN that did not end
    /// the search, at monotonic time `now`.
    pub(crate) fn mark(&self, name: &Name, now: Duration) {
        lock(&self.until).put(self.keyed.hash_one(name), now + REMEMBERED);
    }

    /// Whether minimising to `name` is known to lead nowhere at `now`.
    pub(crate) fn is_dead(&self, name: &Name, now: Duration) -> bool {
        lock(&self.until).peek(&self.keyed.hash_one(name)).is_some_and(|until| now < *until)
    }

    /// Forget every dead end (a flush of the cache).
    pub(crate) fn clear(&self) {
        lock(&self.until).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_end_is_remembered_case_insensitively_for_a_minute() {
        let d = DeadEnds::default();
        let name: Name = "a.example.".parse().unwrap();
        let t = Duration::from_secs(100);
        d.mark(&name, t);
        assert!(d.is_dead(&"A.Example.".parse().unwrap(), t + Duration::from_secs(59)));
        assert!(!d.is_dead(&"b.example.".parse().unwrap(), t));
        assert!(!d.is_dead(&name, t + REMEMBERED));
        d.mark(&name, t);
        d.clear();
        assert!(!d.is_dead(&name, t));
    }
}
