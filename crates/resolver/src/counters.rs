//! What the resolver counts for the operator (the server's `candor_*`
//! metrics and `control stats` read it): upstream queries by outcome and
//! their round-trip times, verdicts by failure kind, budgets that ran out.
//! Relaxed atomics, bumped where the event happens; nothing here is on the
//! path of an answer served from a cache. Every label set is a closed
//! enumeration (no names, no addresses), so a scrape's size is bounded.
//! The counters outlive a reload: the server hands them from the old
//! resolver to the new one ([`crate::Resolver::with_counters`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::failure::{BudgetKind, FailureKind};
use crate::security::Security;

/// What came of one query sent to an authority or upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// An answer (positive or negative) from the server asked.
    Answer,
    /// A referral down towards the name.
    Referral,
    /// No reply in time.
    Timeout,
    /// No route, or the connection refused.
    Unreachable,
    /// REFUSED.
    Refused,
    /// SERVFAIL.
    Servfail,
    /// Any other error rcode (FORMERR, NOTIMP, ...).
    ErrorRcode,
    /// Neither answer nor referral down: lame.
    Lame,
    /// A reply that did not parse or failed the admission gate.
    Malformed,
    /// Truncated over UDP (asked again over TCP).
    Truncated,
    /// A reply that did not echo the name's case (0x20; asked again over TCP).
    CaseMismatch,
    /// A reply without our DNS cookie from a server that sends them, or
    /// with another client cookie (discarded; asked again over TCP).
    CookieMismatch,
    /// BADCOOKIE (asked again with the server cookie it taught).
    BadCookie,
}

impl Upstream {
    /// Every outcome, in the order the metrics list them.
    pub const ALL: [Upstream; 13] = [
        Upstream::Answer,
        Upstream::Referral,
        Upstream::Timeout,
        Upstream::Unreachable,
        Upstream::Refused,
        Upstream::Servfail,
        Upstream::ErrorRcode,
        Upstream::Lame,
        Upstream::Malformed,
        Upstream::Truncated,
        Upstream::CaseMismatch,
        Upstream::CookieMismatch,
        Upstream::BadCookie,
    ];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Upstream::Answer => "answer",
            Upstream::Referral => "referral",
            Upstream::Timeout => "timeout",
            Upstream::Unreachable => "unreachable",
            Upstream::Refused => "refused",
            Upstream::Servfail => "servfail",
            Upstream::ErrorRcode => "error-rcode",
            Upstream::Lame => "lame",
            Upstream::Malformed => "malformed",
            Upstream::Truncated => "truncated",
            Upstream::CaseMismatch => "case-mismatch",
            Upstream::CookieMismatch => "cookie-mismatch",
            Upstream::BadCookie => "badcookie",
        }
    }

    fn index(self) -> usize {
        Upstream::ALL.iter().position(|u| *u == self).unwrap_or(0)
    }
}

/// The verdicts a resolution can end in, as the metrics name them.
pub const VERDICTS: [&str; 4] = ["secure", "insecure", "bogus", "servfail"];

/// A latency histogram with fixed buckets (seconds), lock-free.
#[derive(Debug)]
pub struct Histogram {
    counts: [AtomicU64; Histogram::BOUNDS.len()],
    over: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            over: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// The buckets' upper bounds, in seconds (from half a millisecond, a
    /// loopback round trip, to five seconds, past any timeout).
    pub const BOUNDS: [f64; 13] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0];

    /// Count one observation.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        match Histogram::BOUNDS.iter().position(|b| s <= *b).and_then(|i| self.counts.get(i)) {
            Some(c) => c.fetch_add(1, Relaxed),
            None => self.over.fetch_add(1, Relaxed),
        };
        self.sum_micros.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }

    /// Observations so far, the sum of their seconds, and the cumulative
    /// count at each bound (the Prometheus form; the count is `+Inf`'s).
    pub fn snapshot(&self) -> (u64, f64, Vec<(f64, u64)>) {
        let mut total = 0;
        let mut buckets = Vec::with_capacity(Histogram::BOUNDS.len());
        for (b, c) in Histogram::BOUNDS.iter().zip(&self.counts) {
            total += c.load(Relaxed);
            buckets.push((*b, total));
        }
        total += self.over.load(Relaxed);
        (total, self.sum_micros.load(Relaxed) as f64 / 1e6, buckets)
    }
}

/// The resolver's counters.
#[derive(Debug)]
pub struct Counters {
    upstream: [AtomicU64; Upstream::ALL.len()],
    /// Round-trip times of upstream queries that got a reply.
    pub rtt: Histogram,
    /// Indexed by verdict (as [`VERDICTS`]) and failure kind (the kind's
    /// place in [`FailureKind::ALL`], the last slot for none).
    verdicts: [[AtomicU64; FailureKind::ALL.len() + 1]; VERDICTS.len()],
    budgets: [AtomicU64; BudgetKind::ALL.len()],
    prefetches: AtomicU64,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            upstream: std::array::from_fn(|_| AtomicU64::new(0)),
            rtt: Histogram::default(),
            verdicts: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            budgets: std::array::from_fn(|_| AtomicU64::new(0)),
            prefetches: AtomicU64::new(0),
        }
    }
}

impl Counters {
    /// Count one upstream query's outcome.
    pub fn upstream(&self, u: Upstream) {
        if let Some(c) = self.upstream.get(u.index()) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// Upstream queries that ended in `u`.
    pub fn upstream_count(&self, u: Upstream) -> u64 {
        self.upstream.get(u.index()).map_or(0, |c| c.load(Relaxed))
    }

    /// Count the verdict of one resolution (and the budget it ran out of).
    pub fn verdict(&self, s: &Security) {
        let (v, f) = match s {
            Security::Secure => (0, None),
            Security::Insecure(f) => (1, f.as_deref()),
            Security::Bogus(f) => (2, Some(&**f)),
            Security::Servfail(f) => (3, Some(&**f)),
        };
        let k = f.map_or(FailureKind::ALL.len(), |f| f.kind.index());
        if let Some(c) = self.verdicts.get(v).and_then(|row| row.get(k)) {
            c.fetch_add(1, Relaxed);
        }
        if let Some(b) = f.and_then(|f| f.budget.as_deref()) {
            self.budget_trip(b.0);
        }
    }

    /// Count one answer refreshed ahead of its expiry.
    pub fn prefetched(&self) {
        self.prefetches.fetch_add(1, Relaxed);
    }

    /// Answers refreshed ahead of their expiry.
    pub fn prefetches(&self) -> u64 {
        self.prefetches.load(Relaxed)
    }

    /// Count one budget that ran out.
    pub fn budget_trip(&self, b: BudgetKind) {
        if let Some(c) = self.budgets.get(b.index()) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// Every (verdict, failure kind or `None`, count) counted so far, in a
    /// fixed order; zero counts left out.
    pub fn verdicts(&self) -> Vec<(&'static str, Option<FailureKind>, u64)> {
        let mut out = Vec::new();
        for (v, row) in VERDICTS.iter().zip(&self.verdicts) {
            for (i, c) in row.iter().enumerate() {
                let n = c.load(Relaxed);
                if n > 0 {
                    out.push((*v, FailureKind::ALL.get(i).copied(), n));
                }
            }
        }
        out
    }

    /// Times each budget ran out.
    pub fn budget_trips(&self) -> impl Iterator<Item = (BudgetKind, u64)> + '_ {
        BudgetKind::ALL.iter().zip(&self.budgets).map(|(b, c)| (*b, c.load(Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;

    #[test]
    fn verdicts_are_counted_by_kind_and_budgets_by_budget() {
        let c = Counters::default();
        c.verdict(&Security::Secure);
        c.verdict(&Security::Secure);
        c.verdict(&Security::bogus(Failure::new(FailureKind::SignatureExpired, candor_wire::Name::root(), 0)));
        let trip = Failure::exhausted(BudgetKind::Verifications, 8, candor_wire::Name::root(), 0);
        c.verdict(&Security::bogus(trip));
        c.verdict(&Security::Insecure(None));
        let v = c.verdicts();
        assert_eq!(
            v,
            vec![
                ("secure", None, 2),
                ("insecure", None, 1),
                ("bogus", Some(FailureKind::SignatureExpired), 1),
                ("bogus", Some(FailureKind::ValidationBudget), 1),
            ]
        );
        let trips: Vec<_> = c.budget_trips().filter(|(_, n)| *n > 0).collect();
        assert_eq!(trips, vec![(BudgetKind::Verifications, 1)]);
    }

    #[test]
    fn the_histogram_is_cumulative_and_keeps_the_slow_ones_in_the_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(9));
        let (count, sum, buckets) = h.snapshot();
        assert_eq!(count, 3);
        assert!((sum - 9.0033).abs() < 1e-9, "{sum}");
        assert_eq!(buckets.first(), Some(&(0.0005, 1)));
        assert_eq!(buckets.iter().find(|(b, _)| *b == 0.005), Some(&(0.005, 2)));
        assert_eq!(buckets.last(), Some(&(5.0, 2)), "nine seconds is past the last bound");
    }

    #[test]
    fn every_kind_and_budget_has_a_place() {
        for (i, k) in FailureKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
        for (i, b) in BudgetKind::ALL.iter().enumerate() {
            assert_eq!(b.index(), i, "{b:?}");
        }
        for u in Upstream::ALL {
            assert_eq!(Upstream::ALL.get(u.index()), Some(&u));
        }
    }
}
