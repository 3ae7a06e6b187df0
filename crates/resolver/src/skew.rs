//! Is the local clock wrong? When the signatures of several unrelated
//! zones fail their validity windows in the same direction within a short
//! time, and the root's own (fresh) signature window still allows a clock
//! that far off, the clock is the likelier culprit than every one of those
//! zones at once. (When the root itself fails, `validator::chain` says so
//! directly; replayed old data alone cannot fake the root's window.)

use std::collections::VecDeque;

use candor_wire::Name;

/// Votes older than this are forgotten (seconds).
pub(crate) const WINDOW_SECS: u64 = 600;

/// Unrelated zones (none at or below another) that must agree.
pub(crate) const ZONES_NEEDED: usize = 3;

/// Votes kept at most.
const MAX_VOTES: usize = 64;

/// Which way the clock seems off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Signatures look expired: the clock may be ahead.
    Ahead,
    /// Signatures look not yet valid: the clock may be behind.
    Behind,
}

/// What the votes suggest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspicion {
    /// Which way.
    pub direction: Direction,
    /// At least this far off (seconds): the smallest skew among the zones.
    pub by: u64,
    /// How many unrelated zones failed that way.
    pub zones: usize,
}

/// Recent time failures, zone by zone.
#[derive(Debug, Default)]
pub(crate) struct Votes {
    votes: VecDeque<(u64, Name, Direction, u64)>,
}

impl Votes {
    /// Record that `zone`'s signatures failed `direction` by `skew`
    /// seconds at `now`, and say whether the clock is now suspect: at
    /// least [`ZONES_NEEDED`] unrelated zones failed the same way within
    /// [`WINDOW_SECS`], and the root's signature window
    /// (`root`: inception, expiration) still holds the time the clock
    /// would show if it were off by the smallest of their skews.
    pub(crate) fn vote(
        &mut self,
        zone: &Name,
        direction: Direction,
        skew: u64,
        now: u64,
        root: Option<(u32, u32)>,
    ) -> Option<Suspicion> {
        self.votes.retain(|(at, ..)| now.saturating_sub(*at) <= WINDOW_SECS);
        self.votes.retain(|(_, z, ..)| z != zone);
        if self.votes.len() >= MAX_VOTES {
            self.votes.pop_front();
        }
        self.votes.push_back((now, zone.clone(), direction, skew));
        // Unrelated zones of this direction: none at or below another.
        let mut zones: Vec<(&Name, u64)> = Vec::new();
        for (_, z, d, s) in &self.votes {
            if *d == direction && !zones.iter().any(|(o, _)| z.is_subdomain_of(o) || o.is_subdomain_of(z)) {
                zones.push((z, *s));
            }
        }
        if zones.len() < ZONES_NEEDED {
            return None;
        }
        let by = zones.iter().map(|(_, s)| *s).min().unwrap_or(0);
        // The root's window must allow the corrected time: a clock `by`
        // ahead means the true time is `now - by`, which the root's
        // fresh signatures must not postdate.
        let (inception, expiration) = root?;
        let allowed = match direction {
            Direction::Ahead => now.saturating_sub(by) >= u64::from(inception),
            Direction::Behind => now + by <= u64::from(expiration),
        };
        allowed.then_some(Suspicion { direction, by, zones: zones.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap_or_else(|_| Name::root())
    }

    #[test]
    fn three_unrelated_zones_failing_the_same_way_make_the_clock_suspect_if_the_root_allows_it() {
        let now = 1_800_000_000u64;
        let day = 86_400u64;
        // The root signed ten days ago, valid for a month.
        let root = Some(((now - 10 * day) as u32, (now + 20 * day) as u32));
        let mut v = Votes::default();
        assert_eq!(v.vote(&n("a.example."), Direction::Ahead, 2 * day, now, root), None);
        // A zone below one already counted is not unrelated.
        assert_eq!(v.vote(&n("sub.a.example."), Direction::Ahead, 2 * day, now + 1, root), None);
        // One failing the other way does not count.
        assert_eq!(v.vote(&n("c.example."), Direction::Behind, 2 * day, now + 2, root), None);
        let s = v.vote(&n("b.example."), Direction::Ahead, 3 * day, now + 3, root);
        assert_eq!(s, None, "two unrelated zones are not enough");
        let s = v.vote(&n("d.example."), Direction::Ahead, 5 * day, now + 4, root);
        assert_eq!(s, Some(Suspicion { direction: Direction::Ahead, by: 2 * day, zones: 3 }));
        // The root's window rules a skew out when its own signatures are
        // younger than the skew (the zones are stale, not the clock).
        let fresh_root = Some(((now - day) as u32, (now + 29 * day) as u32));
        assert_eq!(v.vote(&n("e.example."), Direction::Ahead, 2 * day, now + 5, fresh_root), None);
        // Votes age out.
        let later = now + WINDOW_SECS + 10;
        assert_eq!(v.vote(&n("f.example."), Direction::Ahead, 2 * day, later, root), None);
        assert_eq!(v.vote(&n("f.example."), Direction::Ahead, 2 * day, later, None), None);
    }
}
