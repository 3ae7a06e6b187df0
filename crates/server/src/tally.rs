//! Per-worker counters of what was answered: each worker (a UDP socket's
//! task, a TCP listener's connections) bumps its own [`Tally`], so the
//! hottest path touches no line another worker writes; a scrape adds the
//! tallies up ([`ServerMetrics::totals`]). What a reply was
//! (rcode, AD, EDE codes) is read off its wire form once ([`Summary::of`])
//! and kept with a response-cache entry, so a hit counts without parsing.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use candor_resolver::Histogram;

/// Rcodes counted one by one (0 to 15, the header's); the extended ones
/// (BADVERS and above) share the last slot.
pub const RCODE_SLOTS: usize = 17;

/// EDE info-codes counted one by one (0 to 33); higher ones share the last slot.
pub const EDE_SLOTS: usize = 35;

/// EDE options counted per reply at most (a reply rarely has more than
/// two; any further ones go uncounted).
const EDES_KEPT: usize = 4;

/// What one reply was, for the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// The full (extended) rcode.
    pub rcode: u16,
    /// The AD bit.
    pub ad: bool,
    edes: [u16; EDES_KEPT],
    n_edes: u8,
}

impl Summary {
    /// Read a reply's rcode, AD bit and first few EDE codes from its wire
    /// form (a reply we built: a malformed one reads as far as it goes).
    pub fn of(wire: &[u8]) -> Summary {
        let mut s = Summary::default();
        let (Some(&b3), Some(counts)) = (wire.get(3), wire.get(4..12)) else { return s };
        s.rcode = u16::from(b3 & 0x0f);
        s.ad = b3 & 0x20 != 0;
        let count = |i: usize| usize::from(u16::from_be_bytes([counts[i], counts[i + 1]]));
        let (qd, rrs, ar) = (count(0), count(2) + count(4), count(6));
        let mut at = 12;
        for _ in 0..qd {
            let Some(end) = skip_name(wire, at) else { return s };
            at = end + 4;
        }
        for i in 0..rrs + ar {
            let Some(end) = skip_name(wire, at) else { return s };
            let Some(fixed) = wire.get(end..end + 10) else { return s };
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
            let Some(rdata) = wire.get(end + 10..end + 10 + rdlen) else { return s };
            if i >= rrs && rtype == 41 {
                s.rcode |= u16::from(fixed[4]) << 4;
                s.read_edes(rdata);
            }
            at = end + 10 + rdlen;
        }
        s
    }

    fn read_edes(&mut self, mut options: &[u8]) {
        while let Some(&[c0, c1, l0, l1]) = options.get(..4) {
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            let Some(data) = options.get(4..4 + len) else { return };
            if u16::from_be_bytes([c0, c1]) == 15
                && let Some(&[i0, i1]) = data.get(..2)
                && let Some(slot) = self.edes.get_mut(usize::from(self.n_edes))
            {
                *slot = u16::from_be_bytes([i0, i1]);
                self.n_edes += 1;
            }
            options = options.get(4 + len..).unwrap_or(&[]);
        }
    }

    /// The EDE codes read (at most four).
    pub fn edes(&self) -> &[u16] {
        self.edes.get(..usize::from(self.n_edes)).unwrap_or(&[])
    }
}

/// Where the name starting at `at` ends (past its last label or pointer).
fn skip_name(wire: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *wire.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l if l > 63 => return None,
            l => at += usize::from(l) + 1,
        }
    }
}

/// One worker's counters.
#[derive(Debug)]
pub struct Tally {
    /// TCP (else UDP).
    pub(crate) tcp: bool,
    rcodes: [AtomicU64; RCODE_SLOTS],
    ad: AtomicU64,
    edes: [AtomicU64; EDE_SLOTS],
    reply_hits: AtomicU64,
    dropped: AtomicU64,
}

impl Tally {
    pub(crate) fn new(tcp: bool) -> Tally {
        Tally {
            tcp,
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

    /// A reply went out (`Some`), or none did.
    pub(crate) fn sent(&self, reply: Option<&[u8]>) {
        match reply {
            Some(wire) => self.answered(&Summary::of(wire)),
            None => self.dropped(),
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
        if self.tcp {
            t.queries_tcp += queries;
        } else {
            t.queries_udp += queries;
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
}

impl ServerMetrics {
    /// A new worker's tally (registered for the scrapes).
    pub(crate) fn tally(&self, tcp: bool) -> Arc<Tally> {
        let t = Arc::new(Tally::new(tcp));
        crate::sync::lock(&self.tallies).push(Arc::clone(&t));
        t
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
    use candor_wire::{Edns, EdnsOption, Message, Name, Question, RType, Rcode};

    fn reply(rcode: Rcode, ad: bool, edes: &[u16]) -> Vec<u8> {
        let mut m = Message::query(7, Question::new("www.example.".parse::<Name>().unwrap(), RType::A));
        m.header.flags.qr = true;
        m.header.flags.ad = ad;
        m.header.rcode = rcode;
        let mut e = Edns::default();
        for &code in edes {
            e.options.push(EdnsOption::Ede(candor_wire::ExtendedError { code, text: "why".to_owned() }));
        }
        m.answers = candor_wire::text::parse_zone("www.example. 300 IN A 192.0.2.1\n", None).unwrap();
        m.edns = Some(e);
        m.to_wire().unwrap()
    }

    #[test]
    fn a_reply_is_read_for_rcode_ad_and_ede_codes() {
        let s = Summary::of(&reply(Rcode::SERVFAIL, false, &[7, 13]));
        assert_eq!((s.rcode, s.ad, s.edes()), (2, false, &[7u16, 13][..]));
        let s = Summary::of(&reply(Rcode::NOERROR, true, &[]));
        assert_eq!((s.rcode, s.ad, s.edes()), (0, true, &[][..]));
        // BADVERS (16): four bits in the header, the rest in the OPT's TTL.
        let s = Summary::of(&reply(Rcode::BADVERS, false, &[]));
        assert_eq!(s.rcode, 16);
        assert_eq!(Summary::of(&[0u8; 5]), Summary::default(), "cut short: what could be read");
    }

    #[test]
    fn tallies_add_up_by_transport() {
        let (udp, tcp) = (Tally::new(false), Tally::new(true));
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
