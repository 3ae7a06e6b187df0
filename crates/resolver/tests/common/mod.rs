//! What the resolver's scripted-transport tests share: a transport that
//! answers from a script and logs whom it was asked, message builders, and
//! the lab's signer for signed test zones.
#![allow(dead_code, unused_imports, reason = "each test binary uses its own part of these helpers")]

pub(crate) use std::net::{IpAddr, Ipv4Addr, SocketAddr};
pub(crate) use std::sync::Mutex;
pub(crate) use std::time::Duration;

pub(crate) use candor_anchor::Anchors;
pub(crate) use candor_resolver::{
    BudgetKind, Config, FailureKind, ManualClock, Outbound, Protocol, Resolver, Security, Transport, TransportError,
};
pub(crate) use candor_wire::text::parse_zone;
pub(crate) use candor_wire::{Message, Name, RType, Rcode};

pub(crate) type Script = Box<dyn Fn(SocketAddr, Protocol, &Message) -> Result<Message, TransportError> + Send + Sync>;

/// A transport that answers from a script and logs whom it was asked.
pub(crate) struct Scripted {
    script: Script,
    log: Mutex<Vec<(SocketAddr, Protocol, String)>>,
}

impl Scripted {
    pub(crate) fn new(
        f: impl Fn(SocketAddr, Protocol, &Message) -> Result<Message, TransportError> + Send + Sync + 'static,
    ) -> Scripted {
        Scripted { script: Box::new(f), log: Mutex::new(Vec::new()) }
    }

    pub(crate) fn asked(&self) -> Vec<(SocketAddr, Protocol, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl Transport for Scripted {
    async fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        _: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let q = Message::from_wire(query).unwrap();
        let qd = q.question().unwrap();
        self.log.lock().unwrap().push((server, protocol, format!("{} {}", qd.name, qd.qtype)));
        let mut r = (self.script)(server, protocol, &q)?;
        r.header.id = q.header.id;
        r.header.flags.qr = true;
        r.questions = q.questions.clone();
        Ok(r.to_wire().unwrap())
    }
}

/// The names the resolver asked, each with the protocol it was asked over.
pub(crate) fn asked_protocols(r: &Resolver<Scripted, ManualClock>) -> Vec<(String, Protocol)> {
    r.transport().asked().iter().map(|(_, p, q)| (q.split(' ').next().unwrap_or_default().to_owned(), *p)).collect()
}

/// Whom the resolver asked what, as "ADDRESS NAME TYPE" lines.
pub(crate) fn asked_lines(r: &Resolver<Scripted, ManualClock>) -> Vec<String> {
    r.transport().asked().iter().map(|(a, _, q)| format!("{} {q}", a.ip())).collect()
}

pub(crate) fn n(s: &str) -> Name {
    s.parse().unwrap()
}

pub(crate) fn addr(last: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), 53)
}

/// A response with the given sections (zone text, absolute names).
pub(crate) fn resp(aa: bool, rcode: Rcode, answer: &str, authority: &str, additional: &str) -> Message {
    let mut m = Message::default();
    m.header.flags.aa = aa;
    m.header.rcode = rcode;
    m.answers = parse_zone(answer, None).unwrap();
    m.authority = parse_zone(authority, None).unwrap();
    m.additional = parse_zone(additional, None).unwrap();
    m
}

pub(crate) fn referral(child: &str, ns: &str, glue: &str) -> Message {
    resp(false, Rcode::NOERROR, "", &format!("{child} 3600 NS {ns}\n"), glue)
}

/// A config with one root server (127.0.0.1), loopback servers allowed
/// and no priming.
pub(crate) fn loopback_config(anchors: Anchors) -> Config {
    let mut cfg = Config::new(vec![addr(1).ip()], anchors);
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.priming = false;
    cfg
}

pub(crate) fn resolver(t: Scripted, roots: &[u8]) -> Resolver<Scripted, ManualClock> {
    let mut cfg = Config::new(roots.iter().map(|l| addr(*l).ip()).collect(), Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    // These scripts answer whole names; QNAME minimisation and priming
    // have their own tests.
    cfg.qname_minimisation = false;
    cfg.priming = false;
    Resolver::new(cfg, t, ManualClock::at(1_800_000_000))
}

pub(crate) const ANSWER: &str = "www.example. 300 A 192.0.2.1\n";

/// `zone` signed for `origin` by the lab's signer (one ECDSA P-256 key,
/// NSEC), valid a day either side of `now`.
pub(crate) fn sign(origin: &str, zone: &[candor_wire::Record], seed: &[u8], now: u32) -> candor_lab::SignedZone {
    use candor_lab::{Denial, KeyLayout, SignOptions, sign_zone};
    let opts = SignOptions {
        algorithm: candor_wire::Algorithm::ECDSAP256SHA256,
        layout: KeyLayout::Csk,
        denial: Denial::Nsec,
        inception: now - 86_400,
        expiration: now + 86_400,
        seed: seed.to_vec(),
    };
    sign_zone(&n(origin), zone, &opts).unwrap()
}

/// example. (SOA, NS ns.example., ns.example. at 127.0.0.1) and the zone
/// text `extra`, signed ([`sign`]).
pub(crate) fn signed_example(extra: &str, seed: &[u8], now: u32) -> candor_lab::SignedZone {
    let base = "example. 300 SOA ns.example. h.example. 1 2 3 4 300\nexample. 300 NS ns.example.\nns.example. 300 A 127.0.0.1\n";
    sign("example.", &parse_zone(&format!("{base}{extra}"), None).unwrap(), seed, now)
}

/// A signed zone's DS RRset, as records at its apex.
pub(crate) fn ds_records(z: &candor_lab::SignedZone) -> Vec<candor_wire::Record> {
    z.ds.iter().map(|d| candor_wire::Record::new(z.origin.clone(), 300, candor_wire::RData::Ds(d.clone()))).collect()
}

/// A resolver that trusts `ds` and asks every server through `script`,
/// at `now`, without QNAME minimisation; `tweak` changes the rest.
pub(crate) fn anchored(
    ds: &[candor_wire::Record],
    script: impl Fn(SocketAddr, Protocol, &Message) -> Result<Message, TransportError> + Send + Sync + 'static,
    now: u32,
    tweak: impl FnOnce(&mut Config),
) -> Resolver<Scripted, ManualClock> {
    let mut anchors = Anchors::empty();
    anchors.add_records(ds).unwrap();
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    tweak(&mut cfg);
    Resolver::new(cfg, Scripted::new(script), ManualClock::at(u64::from(now)))
}

/// The records of `owner`/`rtype` among `records`, with the RRSIGs over them.
pub(crate) fn rrset_of(records: &[candor_wire::Record], owner: &Name, rtype: RType) -> Vec<candor_wire::Record> {
    records.iter().filter(|r| r.owner == *owner && covered(r) == rtype).cloned().collect()
}

/// The type a record stands for: its own, or the one an RRSIG covers.
pub(crate) fn covered(r: &candor_wire::Record) -> RType {
    match &r.data {
        candor_wire::RData::Rrsig(s) => s.type_covered,
        _ => r.rtype(),
    }
}

/// The lab's time in the tests that serve it.
pub(crate) const NOW: u64 = 1_800_000_000;

/// The lab served on 127.X.0.0 at a free port, and a resolver
/// configuration that trusts its root and stays on loopback.
pub(crate) async fn lab_and_config(block: u8) -> (candor_lab::Lab, candor_lab::Running, Config) {
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = candor_lab::LabConfig::new(NOW);
    cfg.block = Ipv4Addr::new(127, block, 0, 0);
    cfg.port = port;
    let lab = candor_lab::Lab::build(cfg).unwrap();
    let running = candor_lab::serve(&lab).await.unwrap();
    let mut anchors = Anchors::empty();
    let root_ds: Vec<candor_wire::Record> = lab
        .root_ds
        .iter()
        .map(|d| candor_wire::Record::new(Name::root(), 0, candor_wire::RData::Ds(d.clone())))
        .collect();
    anchors.add_records(&root_ds).unwrap();
    let mut config = Config::new(vec![IpAddr::V4(Ipv4Addr::new(127, block, 0, 1))], anchors);
    config.port = port;
    config.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    (lab, running, config)
}
