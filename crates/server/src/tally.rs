//! Per-worker counters of what was answered: each worker (a UDP socket's
//! task, a TCP listener's connections) bumps its own [`Tally`], so the
//! hottest path touches no line another worker writes; a scrape adds the
//! tallies up ([`ServerMetrics::totals`]). What a reply was comes from its
//! [`Summary`], kept with a response-cache entry so a hit counts without
//! parsing. [`ServerMetrics`] also holds the query log, fed from the same
//! places (its `finish`).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candor_resolver::Histogram;

use crate::failure_log::FailureLog;
use crate::querylog::{Answered, QueryLog};
pub use crate::summary::Summary;

/// Rcodes counted one by one (0 to 15, the header's); the extended ones
/// (BADVERS and above) share the last slot.
pub const RCODE_SLOTS: usize = 17;

/// EDE info-codes counted one by one (0 to 33); higher ones share the last slot.
pub const EDE_SLOTS: usize = 35;

/// One worker's counters.
#[derive(Debug)]
pub struct Tally {
    /// The transport its queries came over.
    pub(crate) via: Via,
    rcodes: [AtomicU64; RCODE_SLOTS],
    ad: AtomicU64,
    edes: [AtomicU64; EDE_SLOTS],
    reply_hits: AtomicU64,
    dropped: AtomicU64,
}

/// The transport a worker or listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Plain UDP.
    Udp,
    /// Plain TCP.
    Tcp,
    /// DNS over TLS.
    Tls,
    /// DNS over HTTPS.
    Https,
}

impl Tally {
    pub(crate) fn new(via: Via) -> Tally {
        Tally {
            via,
            rcodes: std::array::from_fn(|_| AtomicU64::new(0)),
            ad: AtomicU64::new(0),
            edes: std::array::from_fn(|_| AtomicU64::new(0)),
            reply_hits: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// A reply went out.
    pub(crate) fn answered(&self, s: &Summary) {
        let r = usize::from(s.rcode).min(RCODE_SLOTS - 1);
        if let Some(c) = self.rcodes.get(r) {
            c.fetch_add(1, Relaxed);
        }
        if s.ad {
            self.ad.fetch_add(1, Relaxed);
        }
        for &code in s.edes() {
            if let Some(c) = self.edes.get(usize::from(code).min(EDE_SLOTS - 1)) {
                c.fetch_add(1, Relaxed);
            }
        }
    }

    /// A reply went out from the worker's response cache.
    pub(crate) fn reply_hit(&self, s: &Summary) {
        self.reply_hits.fetch_add(1, Relaxed);
        self.answered(s);
    }

    /// A query got no reply (malformed, or nothing to say).
    pub(crate) fn dropped(&self) {
        self.dropped.fetch_add(1, Relaxed);
    }

    /// Add this tally into `t`.
    pub(crate) fn add_to(&self, t: &mut Totals) {
        let mut replies = 0;
        for (sum, c) in t.rcodes.iter_mut().zip(&self.rcodes) {
            let n = c.load(Relaxed);
            *sum += n;
            replies += n;
        }
        for (sum, c) in t.edes.iter_mut().zip(&self.edes) {
            *sum += c.load(Relaxed);
        }
        let queries = replies + self.dropped.load(Relaxed);
        match self.via {
            Via::Udp => t.queries_udp += queries,
            Via::Tcp => t.queries_tcp += queries,
            Via::Tls => t.queries_tls += queries,
            Via::Https => t.queries_https += queries,
        }
        t.ad += self.ad.load(Relaxed);
        t.reply_hits += self.reply_hits.load(Relaxed);
        t.dropped += self.dropped.load(Relaxed);
    }
}

/// Every worker's tally added up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Queries received over UDP (answered or dropped).
    pub queries_udp: u64,
    /// Queries received over TCP.
    pub queries_tcp: u64,
    /// Queries received over TLS.
    pub queries_tls: u64,
    /// Queries received over HTTPS.
    pub queries_https: u64,
    /// Replies by rcode ([`RCODE_SLOTS`]: the last for extended rcodes).
    pub rcodes: [u64; RCODE_SLOTS],
    /// Replies with AD set.
    pub ad: u64,
    /// EDE options sent, by info-code ([`EDE_SLOTS`]: the last for higher codes).
    pub edes: [u64; EDE_SLOTS],
    /// Replies from the workers' response caches.
    pub reply_hits: u64,
    /// Queries that got no reply.
    pub dropped: u64,
}

impl Default for Totals {
    fn default() -> Totals {
        Totals {
            queries_udp: 0,
            queries_tcp: 0,
            queries_tls: 0,
            queries_https: 0,
            rcodes: [0; RCODE_SLOTS],
            ad: 0,
            edes: [0; EDE_SLOTS],
            reply_hits: 0,
            dropped: 0,
        }
    }
}

/// What the server counts, across reloads.
#[derive(Debug, Default)]
pub struct ServerMetrics {
    tallies: Mutex<Vec<Arc<Tally>>>,
    /// Whole resolutions (questions the caches could not answer), from
    /// admission to the reply.
    pub(crate) resolutions: Histogram,
    /// The query log, when one is kept (set once, at start).
    query_log: std::sync::OnceLock<QueryLog>,
    /// Failed questions' WARN lines, rate-limited per zone and kind.
    pub(crate) failures: FailureLog,
}

/// Where a reply came from and what it cost, for the query log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Served<'a> {
    /// Who asked.
    pub client: IpAddr,
    /// The question: its name in wire form and its type.
    pub question: (&'a [u8], u16),
    /// Answered without asking anyone.
    pub cached: bool,
    /// Queries sent upstream for it.
    pub upstream: u32,
    /// When handling it began (`None` when no query log is kept).
    pub start: Option<Instant>,
}

impl ServerMetrics {
    /// A new worker's tally (registered for the scrapes).
    pub(crate) fn tally(&self, via: Via) -> Arc<Tally> {
        let t = Arc::new(Tally::new(via));
        crate::sync::lock(&self.tallies).push(Arc::clone(&t));
        t
    }

    /// Keep a query log from now on (`false`: one is kept already).
    pub fn log_queries(&self, log: QueryLog) -> bool {
        self.query_log.set(log).is_ok()
    }

    /// The query log, when one is kept.
    pub fn query_log(&self) -> Option<&QueryLog> {
        self.query_log.get()
    }

    /// The instant a query's handling starts, when a query log is kept
    /// (it says how long each took); `None` costs nothing.
    pub(crate) fn started(&self) -> Option<Instant> {
        self.query_log.get().map(|_| Instant::now())
    }

    /// A query is done with: `reply` went out (or none did). Counted in
    /// `tally`, and logged when a query log is kept.
    pub(crate) fn finish(&self, tally: &Tally, reply: Option<&[u8]>, served: &Served<'_>) {
        match reply {
            Some(wire) => self.finish_with(tally, &Summary::of(wire), served),
            None => tally.dropped(),
        }
    }

    /// [`ServerMetrics::finish`] for a reply already summed up.
    pub(crate) fn finish_with(&self, tally: &Tally, summary: &Summary, served: &Served<'_>) {
        tally.answered(summary);
        self.log(summary, served);
    }

    /// A reply from a worker's response cache went out.
    pub(crate) fn finish_hit(&self, tally: &Tally, summary: &Summary, served: &Served<'_>) {
        tally.reply_hit(summary);
        self.log(summary, served);
    }

    fn log(&self, summary: &Summary, s: &Served<'_>) {
        if let (Some(log), Some(start)) = (self.query_log.get(), s.start) {
            log.record(&Answered {
                client: s.client,
                qname: s.question.0,
                qtype: s.question.1,
                summary,
                cached: s.cached,
                upstream: s.upstream,
                latency: start.elapsed(),
            });
        }
    }

    /// Every worker's tally added up.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for tally in crate::sync::lock(&self.tallies).iter() {
            tally.add_to(&mut t);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::reply;
    use candor_wire::Rcode;

    #[test]
    fn tallies_add_up_by_transport() {
        let (udp, tcp) = (Tally::new(Via::Udp), Tally::new(Via::Tcp));
        let bogus = Summary::of(&reply(Rcode::SERVFAIL, false, &[6]));
        let fine = Summary::of(&reply(Rcode::NOERROR, true, &[]));
        udp.answered(&bogus);
        udp.reply_hit(&fine);
        udp.dropped();
        tcp.answered(&fine);
        let mut t = Totals::default();
        udp.add_to(&mut t);
        tcp.add_to(&mut t);
        assert_eq!((t.queries_udp, t.queries_tcp, t.ad, t.reply_hits, t.dropped), (3, 1, 2, 1, 1));
        assert_eq!((t.rcodes[0], t.rcodes[2], t.edes[6]), (2, 1, 1));
    }
}
