//! A hostile authority: the response to one question about a signed zone
//! (fixed keys, a trust anchor for it) is the fuzzer's, either raw bytes
//! or a genuine signed response with the fuzzer's bytes laid over it; every
//! other query gets the zone's genuine answer. The whole path runs: the
//! transport's parse, classification, the admission gate, validation,
//! the caches, and a second question from the cache.
//!
//! Beyond "no panic, no hang": whatever comes out **Secure** must be true
//! of the zone. Without the zone's private key nothing forged can be
//! proven, so a secure answer whose records the zone does not hold, or a
//! secure denial of a name or type the zone has, is a validation bypass.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_lab::{Denial, KeyLayout, SignOptions, sign_zone};
use candor_resolver::{Config, ManualClock, Outbound, Protocol, Resolver, Security, Transport, TransportError};
use candor_wire::text::parse_zone;
use candor_wire::{Algorithm, Message, Name, RData, RType, Rcode, Record};
use libfuzzer_sys::fuzz_target;

const NOW: u32 = 1_800_000_000;

const ZONE: &str = "example. 300 SOA ns.example. h.example. 1 2 3 4 300
example. 300 NS ns.example.
ns.example. 300 A 127.0.0.1
www.example. 300 A 192.0.2.1
www.example. 300 TXT \"hello\"
alias.example. 300 CNAME www.example.
mail.example. 300 MX 10 ns.example.
deep.sub.example. 300 A 192.0.2.2
";

/// The questions a forged response may answer.
const QUESTIONS: &[(&str, RType)] = &[
    ("www.example.", RType::A),
    ("alias.example.", RType::A),
    ("nosuch.example.", RType::A),
    ("www.example.", RType::AAAA),
    ("sub.example.", RType::A),
    ("mail.example.", RType::MX),
    ("example.", RType::DNSKEY),
    ("a.nosuch.example.", RType::TXT),
];

struct World {
    records: Vec<Record>,
    ds: Vec<Record>,
    rt: tokio::runtime::Runtime,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let opts = SignOptions {
            algorithm: Algorithm::ECDSAP256SHA256,
            layout: KeyLayout::Csk,
            denial: Denial::Nsec,
            inception: NOW - 86_400,
            expiration: NOW + 86_400,
            seed: b"fuzz-authority".to_vec(),
        };
        let signed = sign_zone(&n("example."), &parse_zone(ZONE, None).unwrap(), &opts).unwrap();
        let ds = signed.ds.iter().map(|d| Record::new(n("example."), 300, RData::Ds(d.clone()))).collect();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        World { records: signed.records, ds, rt }
    })
}

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn covered(r: &Record) -> RType {
    match &r.data {
        RData::Rrsig(s) => s.type_covered,
        _ => r.rtype(),
    }
}

/// The zone's genuine answer: the RRset (or CNAME) with RRSIGs, else a
/// NODATA or NXDOMAIN with the SOA and the NSEC records that prove it.
fn genuine(records: &[Record], name: &Name, qtype: RType) -> Message {
    let of = |owner: &Name, t: RType| -> Vec<Record> {
        records.iter().filter(|r| r.owner == *owner && covered(r) == t).cloned().collect()
    };
    let mut m = Message::default();
    m.header.flags.aa = true;
    m.answers = of(name, qtype);
    if m.answers.is_empty() {
        m.answers = of(name, RType::CNAME);
    }
    if !m.answers.is_empty() {
        return m;
    }
    let apex = n("example.");
    m.authority = of(&apex, RType::SOA);
    if records.iter().any(|r| r.owner.is_subdomain_of(name)) {
        m.authority.extend(of(name, RType::NSEC));
        if !records.iter().any(|r| r.owner == *name) {
            // An empty non-terminal: the NSEC that covers it.
            m.authority.extend(cover(records, name).map(|o| of(&o, RType::NSEC)).unwrap_or_default());
        }
        return m;
    }
    m.header.rcode = Rcode::NXDOMAIN;
    for target in [name.clone(), n("*.example.")] {
        if let Some(owner) = cover(records, &target) {
            for r in of(&owner, RType::NSEC) {
                if !m.authority.contains(&r) {
                    m.authority.push(r);
                }
            }
        }
    }
    m
}

/// The owner of the NSEC that covers `target`.
fn cover(records: &[Record], target: &Name) -> Option<Name> {
    let apex = n("example.");
    records.iter().find_map(|r| match &r.data {
        RData::Nsec(x) if r.owner < *target && (*target < x.next || x.next == apex) => Some(r.owner.clone()),
        _ => None,
    })
}

/// The zone's server, except that the first query for the chosen question
/// gets the forged response.
struct Hostile {
    question: (Name, RType),
    forged: Vec<u8>,
    used: AtomicBool,
}

impl Transport for Hostile {
    async fn query(
        &self,
        _: SocketAddr,
        _: Protocol,
        query: &[u8],
        _: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let q = Message::from_wire(query).map_err(|_| TransportError::BadQuery)?;
        let qd = q.question().ok_or(TransportError::BadQuery)?;
        if (qd.name.clone(), qd.qtype) == self.question && !self.used.swap(true, Ordering::SeqCst) {
            return Ok(self.forged.clone());
        }
        let mut m = genuine(&world().records, &qd.name, qd.qtype);
        m.header.id = q.header.id;
        m.header.flags.qr = true;
        m.questions = q.questions.clone();
        m.edns = q.edns.clone();
        m.to_wire().map_err(|_| TransportError::BadQuery)
    }
}

/// What a secure result claims must be true of the zone.
fn check(records: &[Record], name: &Name, qtype: RType, r: &candor_resolver::Resolution) {
    if r.security != Security::Secure {
        return;
    }
    let held = |x: &Record| records.iter().any(|z| z.owner == x.owner && z.data == x.data);
    match r.rcode {
        Rcode::NOERROR if !r.answers.is_empty() => {
            for x in r.answers.iter().filter(|x| x.rtype() != RType::RRSIG) {
                assert!(held(x), "a secure answer record the zone does not hold: {x}");
            }
        }
        Rcode::NOERROR => {
            let has = records.iter().any(|z| z.owner == *name && (z.rtype() == qtype || z.rtype() == RType::CNAME));
            assert!(!has, "a secure NODATA for {name}/{qtype}, which the zone has");
        }
        Rcode::NXDOMAIN => {
            // A chain may end in the NXDOMAIN of its last name.
            let last = r
                .answers
                .iter()
                .filter_map(|x| match &x.data {
                    RData::Cname(t) => Some(t.clone()),
                    _ => None,
                })
                .last()
                .unwrap_or_else(|| name.clone());
            let exists = records.iter().any(|z| z.owner.is_subdomain_of(&last));
            assert!(!exists, "a secure NXDOMAIN for {last}, which exists");
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let (Some(&pick), Some(&mode)) = (data.first(), data.get(1)) else { return };
    let (qname, qtype) = QUESTIONS[usize::from(pick) % QUESTIONS.len()];
    let (qname, payload) = (n(qname), &data[2..]);
    let w = world();
    // Raw bytes, or the genuine response with the payload laid over it
    // from an offset (a structure-aware start: most of it still parses).
    let forged = if mode & 1 == 0 {
        payload.to_vec()
    } else {
        let mut m = genuine(&w.records, &qname, qtype);
        m.header.flags.qr = true;
        m.questions = vec![candor_wire::Question::new(qname.clone(), qtype)];
        let mut wire = m.to_wire().unwrap();
        let at = usize::from(mode >> 1) % wire.len().max(1);
        for (i, b) in payload.iter().enumerate() {
            match wire.get_mut(at + i) {
                Some(x) => *x ^= b,
                None => wire.push(*b),
            }
        }
        wire
    };
    let mut anchors = Anchors::empty();
    anchors.add_records(&w.ds).unwrap();
    let mut cfg = Config::new(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)], anchors);
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.priming = false;
    cfg.qname_minimisation = false;
    let transport = Hostile { question: (qname.clone(), qtype), forged, used: AtomicBool::new(false) };
    let r = Arc::new(Resolver::new(cfg, transport, ManualClock::at(u64::from(NOW))));
    w.rt.block_on(async {
        let first = r.resolve(&qname, qtype).await;
        check(&w.records, &qname, qtype, &first);
        // The second question: from the cache (or asked again, genuinely).
        let again = r.resolve(&qname, qtype).await;
        check(&w.records, &qname, qtype, &again);
        for (name, t) in QUESTIONS {
            let name = n(name);
            let other = r.resolve(&name, *t).await;
            check(&w.records, &name, *t, &other);
        }
    });
});
