//! The iterator through a scripted transport: each test says what each
//! server answers, and checks what the resolver did and whom it asked.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use candor_anchor::Anchors;
use candor_resolver::{
    BudgetKind, Config, FailureKind, ManualClock, Outbound, Protocol, Resolver, Security, Transport, TransportError,
};
use candor_wire::text::parse_zone;
use candor_wire::{Message, Name, RType, Rcode};

type Script = Box<dyn Fn(SocketAddr, Protocol, &Message) -> Result<Message, TransportError> + Send + Sync>;

/// A transport that answers from a script and logs whom it was asked.
struct Scripted {
    script: Script,
    log: Mutex<Vec<(SocketAddr, Protocol, String)>>,
}

impl Scripted {
    fn new(
        f: impl Fn(SocketAddr, Protocol, &Message) -> Result<Message, TransportError> + Send + Sync + 'static,
    ) -> Scripted {
        Scripted { script: Box::new(f), log: Mutex::new(Vec::new()) }
    }

    fn asked(&self) -> Vec<(SocketAddr, Protocol, String)> {
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

/// Whom the resolver asked what, as "ADDRESS NAME TYPE" lines.
fn asked_lines(r: &Resolver<Scripted, ManualClock>) -> Vec<String> {
    r.transport().asked().iter().map(|(a, _, q)| format!("{} {q}", a.ip())).collect()
}

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn addr(last: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), 53)
}

/// A response with the given sections (zone text, absolute names).
fn resp(aa: bool, rcode: Rcode, answer: &str, authority: &str, additional: &str) -> Message {
    let mut m = Message::default();
    m.header.flags.aa = aa;
    m.header.rcode = rcode;
    m.answers = parse_zone(answer, None).unwrap();
    m.authority = parse_zone(authority, None).unwrap();
    m.additional = parse_zone(additional, None).unwrap();
    m
}

fn referral(child: &str, ns: &str, glue: &str) -> Message {
    resp(false, Rcode::NOERROR, "", &format!("{child} 3600 NS {ns}\n"), glue)
}

/// A config with one root server (127.0.0.1), loopback servers allowed
/// and no priming.
fn loopback_config(anchors: Anchors) -> Config {
    let mut cfg = Config::new(vec![addr(1).ip()], anchors);
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.priming = false;
    cfg
}

fn resolver(t: Scripted, roots: &[u8]) -> Resolver<Scripted, ManualClock> {
    let mut cfg = Config::new(roots.iter().map(|l| addr(*l).ip()).collect(), Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    // These scripts answer whole names; QNAME minimisation and priming
    // have their own tests.
    cfg.qname_minimisation = false;
    cfg.priming = false;
    Resolver::new(cfg, t, ManualClock::at(1_800_000_000))
}

const ANSWER: &str = "www.example. 300 A 192.0.2.1\n";

/// `zone` signed for `origin` by the lab's signer (one ECDSA P-256 key,
/// NSEC), valid a day either side of `now`.
fn sign(origin: &str, zone: &[candor_wire::Record], seed: &[u8], now: u32) -> candor_lab::SignedZone {
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
fn signed_example(extra: &str, seed: &[u8], now: u32) -> candor_lab::SignedZone {
    let base = "example. 300 SOA ns.example. h.example. 1 2 3 4 300\nexample. 300 NS ns.example.\nns.example. 300 A 127.0.0.1\n";
    sign("example.", &parse_zone(&format!("{base}{extra}"), None).unwrap(), seed, now)
}

/// A signed zone's DS RRset, as records at its apex.
fn ds_records(z: &candor_lab::SignedZone) -> Vec<candor_wire::Record> {
    z.ds.iter().map(|d| candor_wire::Record::new(z.origin.clone(), 300, candor_wire::RData::Ds(d.clone()))).collect()
}

/// A resolver that trusts `ds` and asks every server through `script`,
/// at `now`, without QNAME minimisation; `tweak` changes the rest.
fn anchored(
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
fn rrset_of(records: &[candor_wire::Record], owner: &Name, rtype: RType) -> Vec<candor_wire::Record> {
    records.iter().filter(|r| r.owner == *owner && covered(r) == rtype).cloned().collect()
}

/// The type a record stands for: its own, or the one an RRSIG covers.
fn covered(r: &candor_wire::Record) -> RType {
    match &r.data {
        candor_wire::RData::Rrsig(s) => s.type_covered,
        _ => r.rtype(),
    }
}

#[tokio::test]
async fn skips_lame_refusing_and_silent_servers() {
    // Root 1 refuses, root 2 is silent, root 3 answers without AA (lame),
    // root 4 refers to example., whose server answers.
    let t = Scripted::new(|server, _, _| match server.ip().to_string().as_str() {
        "127.0.0.1" => Ok(resp(false, Rcode::REFUSED, "", "", "")),
        "127.0.0.2" => Err(TransportError::Timeout(server)),
        "127.0.0.3" => Ok(resp(false, Rcode::NOERROR, ANSWER, "", "")),
        "127.0.0.4" => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
        "127.0.0.10" => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
        _ => panic!("asked {server}"),
    });
    let r = resolver(t, &[1, 2, 3, 4]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NOERROR);
    assert_eq!(out.answers.len(), 1);
    assert_eq!(out.security, Security::Insecure(None), "no anchors: insecure");
}

#[tokio::test]
async fn a_recursion_lame_or_empty_answer_is_taken_only_when_no_server_does_better() {
    const WRONG: &str = "www.example. 300 A 192.0.2.66\n";
    let script = |lame_only: bool| {
        move |server: SocketAddr, _: Protocol, _: &Message| match server.ip().to_string().as_str() {
            "127.0.0.1" if lame_only => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
            "127.0.0.1" => Ok(referral(
                "example.",
                "ns.example.\nexample. 3600 NS ns2.example.\nexample. 3600 NS ns3.example.",
                "ns.example. 3600 A 127.0.0.10\nns2.example. 3600 A 127.0.0.11\nns3.example. 3600 A 127.0.0.12\n",
            )),
            // A recursive resolver where an authority should be: RA, no AA.
            "127.0.0.10" => {
                let mut m = resp(false, Rcode::NOERROR, WRONG, "", "");
                m.header.flags.ra = true;
                Ok(m)
            }
            // Nothing at all: not even the SOA of a NODATA.
            "127.0.0.11" => Ok(resp(true, Rcode::NOERROR, "", "", "")),
            "127.0.0.12" => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
            _ => panic!("asked {server}"),
        }
    };
    let r = resolver(Scripted::new(script(false)), &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers, parse_zone(ANSWER, None).unwrap(), "the authority's answer wins");
    let r = resolver(Scripted::new(script(true)), &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers, parse_zone(WRONG, None).unwrap(), "the only server's answer is taken");
}

#[tokio::test]
async fn a_negative_answer_carries_its_soa_at_the_negative_ttl_and_no_ns() {
    let t = Scripted::new(|server, _, _| match server.ip().to_string().as_str() {
        "127.0.0.1" => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
        "127.0.0.10" => Ok(resp(
            true,
            Rcode::NXDOMAIN,
            "",
            "example. 3600 SOA ns.example. h.example. 1 2 3 4 5\nexample. 3600 NS ns.example.\n",
            "ns.example. 3600 A 127.0.0.10\n",
        )),
        _ => panic!("asked {server}"),
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("nx.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NXDOMAIN);
    let kept: Vec<(RType, u32)> = out.authority.iter().map(|rr| (rr.rtype(), rr.ttl)).collect();
    assert_eq!(kept, [(RType::SOA, 5)], "RFC 2308 §5: min(TTL, minimum)");
}

#[tokio::test]
async fn all_servers_gone_is_servfail_22() {
    let t = Scripted::new(|server, _, _| Err(TransportError::Timeout(server)));
    let r = resolver(t, &[1, 2]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!((f.kind, f.kind.ede_code()), (FailureKind::NoReachableAuthority, 22));
}

#[tokio::test]
async fn servers_that_answer_only_with_server_errors_are_23_and_refusing_ones_22() {
    // Root 1 times out; root 2 answers `rcode`.
    let script = |rcode: Rcode| {
        move |server: SocketAddr, _: Protocol, _: &Message| match server.ip().to_string().as_str() {
            "127.0.0.1" => Err(TransportError::Timeout(server)),
            _ => Ok(resp(true, rcode, "", "", "")),
        }
    };
    for (rcode, kind, code) in
        [(Rcode::SERVFAIL, FailureKind::AuthorityError, 23), (Rcode::REFUSED, FailureKind::NoReachableAuthority, 22)]
    {
        let r = resolver(Scripted::new(script(rcode)), &[1, 2]);
        let out = r.resolve(&n("www.example."), RType::A).await;
        let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
        assert_eq!((f.kind, f.kind.ede_code()), (kind, code), "{rcode}");
        let text = f.ede().1;
        assert!(text.contains(&format!("127.0.0.2:53 answered {rcode}")), "{text}");
    }
    // The same for upstream resolvers a zone is forwarded to.
    for (rcode, kind) in
        [(Rcode::SERVFAIL, FailureKind::AuthorityError), (Rcode::REFUSED, FailureKind::NoReachableAuthority)]
    {
        let mut cfg = loopback_config(Anchors::empty());
        cfg.forwards = vec![candor_resolver::Forward { zone: Name::root(), servers: vec![addr(1), addr(2)] }];
        let r = Resolver::new(cfg, Scripted::new(script(rcode)), ManualClock::at(1_800_000_000));
        let out = r.resolve(&n("www.example."), RType::A).await;
        let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
        assert_eq!(f.kind, kind, "forwarded, {rcode}");
    }
}

#[tokio::test]
async fn truncated_udp_is_retried_over_tcp() {
    let t = Scripted::new(|_, proto, _| {
        if proto == Protocol::Udp {
            let mut m = resp(true, Rcode::NOERROR, "", "", "");
            m.header.flags.tc = true;
            Ok(m)
        } else {
            Ok(resp(true, Rcode::NOERROR, ANSWER, "", ""))
        }
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1);
}

#[tokio::test]
async fn truncated_over_tcp_too_is_a_broken_server() {
    let t = Scripted::new(|_, _, _| {
        let mut m = resp(true, Rcode::NOERROR, ANSWER, "", "");
        m.header.flags.tc = true;
        Ok(m)
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::SERVFAIL);
    let protocols: Vec<Protocol> = r.transport().asked().iter().map(|(_, p, _)| *p).collect();
    assert_eq!(protocols, [Protocol::Udp, Protocol::Tcp]);
}

#[tokio::test]
async fn referral_chains_stop_at_the_budget() {
    // Server 127.0.0.k refers to the ancestor of qname with k labels,
    // served by 127.0.0.(k+1): one label further down, every time.
    let t = Scripted::new(|server, _, q| {
        let qname = q.question().unwrap().name.clone();
        let IpAddr::V4(ip) = server.ip() else { unreachable!() };
        let k = usize::from(ip.octets()[3]);
        let child = qname.trim_to(k);
        let glue = format!("ns.{child} 3600 A 127.0.0.{}\n", k + 1);
        Ok(referral(&child.to_string(), &format!("ns.{child}"), &glue))
    });
    let deep: Name = (0..30).fold(n("example."), |acc, i| acc.prepend(format!("l{i}").as_bytes()).unwrap());
    let r = resolver(t, &[1]);
    let out = r.resolve(&deep, RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.kind, FailureKind::ResolutionBudget);
    assert_eq!(f.budget.as_ref().map(|b| b.0), Some(BudgetKind::ReferralDepth));
    assert!(f.ede().1.contains("referral depth (limit 16) exhausted"), "{}", f.ede().1);
}

#[tokio::test]
async fn out_of_bailiwick_and_special_purpose_glue_are_never_contacted() {
    let t = Scripted::new(|server, _, q| {
        let qname = q.question().unwrap().name.to_string();
        match (server.ip().to_string().as_str(), qname.as_str()) {
            ("127.0.0.1", _) => Ok(referral("test.", "ns.test.", "ns.test. 3600 A 127.0.0.2\n")),
            // test. refers with glue for a name outside test. (must be ignored)
            ("127.0.0.2", "www.evil.test.") => {
                Ok(referral("evil.test.", "ns.elsewhere.", "ns.elsewhere. 3600 A 127.0.0.66\n"))
            }
            // ... and with glue in a documentation prefix (never queried).
            ("127.0.0.2", _) => Ok(referral("doc.test.", "ns.doc.test.", "ns.doc.test. 3600 A 192.0.2.53\n")),
            (other, _) => panic!("asked {other}"),
        }
    });
    let r = resolver(t, &[1]);
    for q in ["www.evil.test.", "www.doc.test."] {
        let out = r.resolve(&n(q), RType::A).await;
        let Security::Servfail(f) = out.security else { panic!("{q}: {:?}", out.security) };
        assert_eq!(f.kind, FailureKind::NoReachableAuthority, "{q}");
    }
    let asked: Vec<IpAddr> = r.transport().asked().iter().map(|(a, _, _)| a.ip()).collect();
    assert!(asked.iter().all(|a| a.to_string() == "127.0.0.1" || a.to_string() == "127.0.0.2"), "{asked:?}");
}

#[tokio::test]
async fn cname_loops_stop_at_the_budget() {
    let t = Scripted::new(|_, _, q| {
        let qname = q.question().unwrap().name.to_string();
        let target = if qname == "a.example." { "b.example." } else { "a.example." };
        Ok(resp(true, Rcode::NOERROR, &format!("{qname} 300 CNAME {target}\n"), "", ""))
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("a.example."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!((f.kind, f.kind.ede_code()), (FailureKind::ResolutionBudget, 0));
    assert_eq!(f.budget.as_deref(), Some(&(BudgetKind::CnameChain, 8)));
}

#[tokio::test]
async fn upstream_query_budget_holds() {
    let t = Scripted::new(|server, _, _| Err(TransportError::Timeout(server)));
    let roots: Vec<u8> = (1..=100).collect();
    let r = resolver(t, &roots);
    let out = r.resolve(&n("www.example."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.budget.as_deref(), Some(&(BudgetKind::UpstreamQueries, 64)));
}

#[tokio::test]
async fn the_log_shows_who_was_asked() {
    let t = Scripted::new(|_, _, _| Ok(resp(true, Rcode::NXDOMAIN, "", "", "")));
    let r = resolver(t, &[9]);
    let out = r.resolve(&n("nope.example."), RType::AAAA).await;
    assert_eq!(out.rcode, Rcode::NXDOMAIN);
    assert_eq!(r.transport().asked(), vec![(addr(9), Protocol::Udp, "nope.example. AAAA".to_owned())]);
}

#[test]
fn scripted_log_records_queries() {
    let t = Scripted::new(|_, _, _| Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let q = Message::query(1, candor_wire::Question::new(n("www.example."), RType::A)).to_wire().unwrap();
    rt.block_on(t.query(addr(5), Protocol::Udp, &q, Duration::from_secs(1))).unwrap();
    assert_eq!(t.asked(), vec![(addr(5), Protocol::Udp, "www.example. A".to_owned())]);
}

#[tokio::test]
async fn name_servers_without_glue_are_looked_up() {
    // The root refers example. to ns.other. without glue; other. is
    // delegated with glue; ns.other. is 127.0.0.20, which serves example.
    let t = Scripted::new(|server, _, q| {
        let qname = q.question().unwrap().name.to_string();
        match (server.ip().to_string().as_str(), qname.as_str()) {
            ("127.0.0.1", "ns.other.") => Ok(referral("other.", "ns1.other.", "ns1.other. 3600 A 127.0.0.11\n")),
            ("127.0.0.1", _) => Ok(referral("example.", "ns.other.", "")),
            ("127.0.0.11", "ns.other.") => Ok(resp(true, Rcode::NOERROR, "ns.other. 300 A 127.0.0.20\n", "", "")),
            ("127.0.0.20", "www.example.") => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
            (other, q) => panic!("asked {other} for {q}"),
        }
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1, "{:?}", out.security);
    let asked = asked_lines(&r);
    assert_eq!(
        asked,
        ["127.0.0.1 www.example. A", "127.0.0.1 ns.other. A", "127.0.0.11 ns.other. A", "127.0.0.20 www.example. A"]
    );
}

#[tokio::test]
async fn a_glueless_name_server_is_tried_when_the_glued_ones_fail() {
    // example. is served by ns.example. (glue 127.0.0.30, answers
    // SERVFAIL) and ns.other. (no glue; 127.0.0.20, the working one).
    let t = Scripted::new(|server, _, q| {
        let qname = q.question().unwrap().name.to_string();
        match (server.ip().to_string().as_str(), qname.as_str()) {
            ("127.0.0.1", "ns.other.") => Ok(referral("other.", "ns1.other.", "ns1.other. 3600 A 127.0.0.11\n")),
            ("127.0.0.1", _) => Ok(resp(
                false,
                Rcode::NOERROR,
                "",
                "example. 3600 NS ns.example.\nexample. 3600 NS ns.other.\n",
                "ns.example. 3600 A 127.0.0.30\n",
            )),
            ("127.0.0.30", _) => Ok(resp(false, Rcode::SERVFAIL, "", "", "")),
            ("127.0.0.11", "ns.other.") => Ok(resp(true, Rcode::NOERROR, "ns.other. 300 A 127.0.0.20\n", "", "")),
            ("127.0.0.20", "www.example.") => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
            (other, q) => panic!("asked {other} for {q}"),
        }
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1, "{:?}", out.security);
    let asked = asked_lines(&r);
    assert_eq!(
        asked,
        [
            "127.0.0.1 www.example. A",
            "127.0.0.30 www.example. A",
            "127.0.0.1 ns.other. A",
            "127.0.0.11 ns.other. A",
            "127.0.0.20 www.example. A"
        ]
    );
}

#[tokio::test]
async fn name_servers_the_child_names_are_used_when_the_parents_fail() {
    // The parent lists only ns.example. (127.0.0.30); the child's answers
    // also name ns.other. (127.0.0.20). Once 127.0.0.30 breaks, the second
    // question goes to ns.other.
    static BROKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let t = Scripted::new(|server, _, q| {
        let qname = q.question().unwrap().name.to_string();
        let child_ns = "example. 3600 NS ns.example.\nexample. 3600 NS ns.other.\n";
        match (server.ip().to_string().as_str(), qname.as_str()) {
            ("127.0.0.1", "ns.other.") => Ok(referral("other.", "ns1.other.", "ns1.other. 3600 A 127.0.0.11\n")),
            ("127.0.0.1", _) => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.30\n")),
            ("127.0.0.30", _) if BROKEN.load(std::sync::atomic::Ordering::SeqCst) => {
                Ok(resp(false, Rcode::SERVFAIL, "", "", ""))
            }
            ("127.0.0.30" | "127.0.0.20", q) => {
                Ok(resp(true, Rcode::NOERROR, &format!("{q} 300 A 192.0.2.1\n"), child_ns, ""))
            }
            ("127.0.0.11", "ns.other.") => Ok(resp(true, Rcode::NOERROR, "ns.other. 300 A 127.0.0.20\n", "", "")),
            (other, q) => panic!("asked {other} for {q}"),
        }
    });
    let r = resolver(t, &[1]);
    assert_eq!(r.resolve(&n("www.example."), RType::A).await.answers.len(), 1);
    BROKEN.store(true, std::sync::atomic::Ordering::SeqCst);
    let out = r.resolve(&n("mail.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1, "{:?}", out.security);
    let last = r.transport().asked().last().map(|(a, _, q)| format!("{} {q}", a.ip()));
    assert_eq!(last.as_deref(), Some("127.0.0.20 mail.example. A"));
}

#[tokio::test]
async fn name_server_lookups_cannot_recurse_forever() {
    // a. is served by ns.b. and b. by ns.a., neither with glue.
    let t = Scripted::new(|_, _, q| {
        let qname = q.question().unwrap().name.clone();
        let (zone, ns) = if qname.is_subdomain_of(&n("a.")) { ("a.", "ns.b.") } else { ("b.", "ns.a.") };
        Ok(referral(zone, ns, ""))
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.a."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.kind, FailureKind::NoReachableAuthority);
    assert!(r.transport().asked().len() < 20, "{} queries", r.transport().asked().len());
}

#[tokio::test]
async fn qname_minimisation_sends_each_server_one_label_more() {
    let t = Scripted::new(|server, _, q| {
        let qd = q.question().unwrap();
        let asked = format!("{} {}", qd.name, qd.qtype);
        match (server.ip().to_string().as_str(), asked.as_str()) {
            ("127.0.0.1", "example. NS") => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
            // b.example. exists in example. (no cut): NODATA for NS.
            ("127.0.0.10", "b.example. NS") => Ok(resp(true, Rcode::NOERROR, "", "", "")),
            ("127.0.0.10", "a.b.example. A") => {
                Ok(resp(true, Rcode::NOERROR, "a.b.example. 300 A 192.0.2.9\n", "", ""))
            }
            (ip, a) => panic!("{ip} asked {a}"),
        }
    });
    let cfg = loopback_config(Anchors::empty());
    let r = Resolver::new(cfg, t, ManualClock::at(1_800_000_000));
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1, "{:?}", out.security);
    let asked = asked_lines(&r);
    assert_eq!(asked, ["127.0.0.1 example. NS", "127.0.0.10 b.example. NS", "127.0.0.10 a.b.example. A"]);
}

#[tokio::test]
async fn qname_minimisation_falls_back_on_nxdomain_for_a_minimised_name() {
    // A broken server says NXDOMAIN for the empty non-terminal b.example.
    let t = Scripted::new(|server, _, q| {
        let qd = q.question().unwrap();
        let asked = format!("{} {}", qd.name, qd.qtype);
        match (server.ip().to_string().as_str(), asked.as_str()) {
            ("127.0.0.1", _) => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
            ("127.0.0.10", "b.example. NS") => Ok(resp(true, Rcode::NXDOMAIN, "", "", "")),
            ("127.0.0.10", "a.b.example. A") => {
                Ok(resp(true, Rcode::NOERROR, "a.b.example. 300 A 192.0.2.9\n", "", ""))
            }
            (ip, a) => panic!("{ip} asked {a}"),
        }
    });
    let cfg = loopback_config(Anchors::empty());
    let r = Resolver::new(cfg, t, ManualClock::at(1_800_000_000));
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!((out.rcode, out.answers.len()), (Rcode::NOERROR, 1));
}

#[tokio::test]
async fn a_timeout_then_success_on_the_second_server_backs_the_first_off() {
    let t = Scripted::new(|server, _, _| match server.ip().to_string().as_str() {
        "127.0.0.1" => Err(TransportError::Timeout(server)),
        _ => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
    });
    let r = resolver(t, &[1, 2]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1);
    let timeout = Config::new(vec![], Anchors::empty()).timeout;
    let slow = r.server_stats().srtt(addr(1).ip());
    let fast = r.server_stats().srtt(addr(2).ip());
    // The silent server may not have been asked first (exploration, or it
    // was unmeasured); when it was, it is now believed slow.
    if r.transport().asked().first().map(|a| a.0) == Some(addr(1)) {
        assert_eq!(slow, Some(timeout));
    }
    assert!(fast.is_some_and(|f| f < timeout));
}

#[tokio::test]
async fn servers_that_reject_edns_are_asked_without_it() {
    let t = Scripted::new(|_, _, q| {
        if q.edns.is_some() {
            Ok(resp(false, Rcode::FORMERR, "", "", ""))
        } else {
            Ok(resp(true, Rcode::NOERROR, ANSWER, "", ""))
        }
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1);
    assert_eq!(r.transport().asked().len(), 2);
}

#[tokio::test]
async fn priming_replaces_the_hints_with_the_roots_own_list() {
    // The hint 127.0.0.1 says the root is now served by 127.0.0.2 only.
    let t = Scripted::new(|server, _, q| {
        let qd = q.question().unwrap();
        match (server.ip().to_string().as_str(), qd.name.is_root()) {
            ("127.0.0.1", true) => {
                Ok(resp(true, Rcode::NOERROR, ". 3600 NS a.root.\n", "", "a.root. 3600 A 127.0.0.2\n"))
            }
            ("127.0.0.2", _) => Ok(resp(true, Rcode::NOERROR, ANSWER, "", "")),
            (ip, _) => panic!("asked {ip}"),
        }
    });
    let mut cfg = loopback_config(Anchors::empty());
    cfg.qname_minimisation = false;
    cfg.priming = true;
    let r = Resolver::new(cfg, t, ManualClock::at(1_800_000_000));
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.answers.len(), 1);
    let asked = asked_lines(&r);
    assert_eq!(asked, ["127.0.0.1 . NS", "127.0.0.2 www.example. A"]);
}

#[tokio::test]
async fn the_time_budget_holds_and_refused_glue_is_named() {
    // Every server answers after 3 s of (manual) clock: the 10 s budget trips.
    let clock = ManualClock::at(1_800_000_000);
    let c2 = clock.clone();
    let t = Scripted::new(move |server, _, _| {
        c2.advance(Duration::from_secs(3));
        Err(TransportError::Timeout(server))
    });
    let roots: Vec<u8> = (1..=10).collect();
    let mut cfg = Config::new(roots.iter().map(|l| addr(*l).ip()).collect(), Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.priming = false;
    let r = Resolver::new(cfg, t, clock);
    let out = r.resolve(&n("www.example."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.budget.as_deref(), Some(&(BudgetKind::ResolutionTime, 10)));
    assert_eq!(r.transport().asked().len(), 4);

    let t = Scripted::new(|_, _, _| Ok(referral("doc.", "ns.doc.", "ns.doc. 3600 A 192.0.2.53\n")));
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.doc."), RType::A).await;
    let Security::Servfail(f) = out.security else { panic!("{:?}", out.security) };
    assert!(f.ede().1.contains("never queried: 192.0.2.53"), "{}", f.ede().1);
}

/// An island of trust served by the root's own server: the answer, signed
/// by the island zone below the (unanchored, insecure) root cut, must be
/// validated with the island's anchor, not passed as insecure. Before the
/// fix, a cut made for the signer below the root took the root's
/// "insecure" and unsigned data went out as if the zone were unsigned.
#[tokio::test]
async fn an_island_below_an_insecure_cut_on_the_same_server_is_validated() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("www.example. 300 A 192.0.2.1\n", b"island", now);
    let mut anchors = Anchors::empty();
    let ds = ds_records(&signed);
    anchors.add_records(&ds).unwrap();
    let records = signed.records.clone();
    let script = move |strip: bool| {
        let records = records.clone();
        move |_: SocketAddr, _: Protocol, q: &Message| {
            let qd = q.question().unwrap();
            let mut m = Message::default();
            m.header.flags.aa = true;
            m.answers = records
                .iter()
                .filter(|r| r.owner == qd.name && covered(r) == qd.qtype)
                .filter(|r| !(strip && qd.qtype == RType::A && r.rtype() == RType::RRSIG))
                .cloned()
                .collect();
            Ok(m)
        }
    };
    let resolver = |strip: bool| {
        let mut cfg = loopback_config(anchors.clone());
        cfg.qname_minimisation = false;
        Resolver::new(cfg, Scripted::new(script(strip)), ManualClock::at(u64::from(now)))
    };
    let out = resolver(false).resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.security, Security::Secure, "signed by the island: secure");
    let out = resolver(true).resolve(&n("www.example."), RType::A).await;
    let Security::Bogus(f) = out.security else { panic!("unsigned data in an anchored zone: {:?}", out.security) };
    assert_eq!(f.kind, FailureKind::RrsigsMissing);
}

#[tokio::test]
async fn qname_minimisation_asks_type_a_when_ns_questions_go_unanswered() {
    // The server drops minimised NS questions (as some middleboxes and
    // broken servers do) but answers type A.
    let t = Scripted::new(|server, _, q| {
        let qd = q.question().unwrap();
        let asked = format!("{} {}", qd.name, qd.qtype);
        match (server.ip().to_string().as_str(), asked.as_str()) {
            ("127.0.0.1", "example. NS") => Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n")),
            ("127.0.0.10", "b.example. NS") => Err(TransportError::Timeout(server)),
            ("127.0.0.10", "b.example. A") => Ok(resp(true, Rcode::NOERROR, "", "", "")),
            ("127.0.0.10", "a.b.example. A") => {
                Ok(resp(true, Rcode::NOERROR, "a.b.example. 300 A 192.0.2.9\n", "", ""))
            }
            (ip, a) => panic!("{ip} asked {a}"),
        }
    });
    let cfg = loopback_config(Anchors::empty());
    let r = Resolver::new(cfg, t, ManualClock::at(1_800_000_000));
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!((out.rcode, out.answers.len()), (Rcode::NOERROR, 1), "{:?}", out.security);
    let asked: Vec<String> = asked_lines(&r).into_iter().filter(|l| !l.contains(" b.example. NS")).collect();
    assert_eq!(asked, ["127.0.0.1 example. NS", "127.0.0.10 b.example. A", "127.0.0.10 a.b.example. A"]);
}

#[tokio::test]
async fn a_validated_nxdomain_for_a_minimised_name_ends_the_search() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("www.example. 300 A 192.0.2.1\n", b"stop-nxdomain", now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    // One server for the root and example.: the zone's records by owner
    // and type; a name that does not exist gets NXDOMAIN with the SOA and
    // the apex NSEC (example. -> ns.example.), which covers b.example.,
    // everything below it and *.example.
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        if records.iter().any(|r| r.owner == qd.name) {
            m.answers = rrset_of(&records, &qd.name, qd.qtype);
        } else {
            m.header.rcode = Rcode::NXDOMAIN;
            m.authority = records
                .iter()
                .filter(|r| r.owner == n("example.") && matches!(covered(r), RType::SOA | RType::NSEC))
                .cloned()
                .collect();
        }
        Ok(m)
    };
    let resolver = |anchored: bool| {
        let mut anchors = Anchors::empty();
        if anchored {
            anchors.add_records(&ds).unwrap();
        }
        let cfg = loopback_config(anchors);
        Resolver::new(cfg, Scripted::new(script.clone()), ManualClock::at(u64::from(now)))
    };
    // Validated: the proof denies a.b.example. too, so it is not asked.
    let r = resolver(true);
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!((out.rcode, &out.security), (Rcode::NXDOMAIN, &Security::Secure));
    let asked = asked_lines(&r);
    assert!(asked.iter().any(|l| l.ends_with(" b.example. NS")), "{asked:?}");
    assert!(!asked.iter().any(|l| l.contains("a.b.example.")), "asked after a proven NXDOMAIN: {asked:?}");
    // Unvalidated: the whole name is asked (relaxed minimisation).
    let r = resolver(false);
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NXDOMAIN);
    assert!(asked_lines(&r).iter().any(|l| l.ends_with(" a.b.example. A")), "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn a_denial_carried_by_an_earlier_answer_proves_no_ds_when_the_parent_does_not_answer() {
    let now: u32 = 1_800_000_000;
    // example. (signed, anchored) delegates sub.example. without a DS; one
    // server serves both, and drops DS questions.
    let signed = signed_example(
        "www.example. 300 CNAME www.sub.example.\nsub.example. 300 NS ns.example.\n",
        b"carried-proof",
        now,
    );
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let of = |owner: &str, t: RType| rrset_of(&records, &n(owner), t);
        let mut m = Message::default();
        m.header.flags.aa = true;
        match (qd.name.to_string().as_str(), qd.qtype) {
            (_, RType::DS) => return Err(TransportError::Timeout(server)),
            ("www.example.", RType::A) => {
                m.answers = of("www.example.", RType::CNAME);
                m.authority = of("sub.example.", RType::NSEC);
            }
            ("www.sub.example.", RType::A) => {
                m.authority = parse_zone("sub.example. 300 SOA ns.example. h.example. 1 2 3 4 300\n", None).unwrap();
            }
            (name, t) => m.answers = of(name, t),
        }
        Ok(m)
    };
    let resolver = |aggressive: bool| anchored(&ds, script.clone(), now, |c| c.cache.aggressive_nsec = aggressive);
    let out = resolver(true).resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NOERROR, "{:?}", out.security);
    assert!(matches!(out.security, Security::Insecure(_)), "{:?}", out.security);
    assert!(out.answers.iter().any(|r| r.rtype() == RType::CNAME));
    // Without aggressive use of validated denials, the unanswered DS
    // question leaves the chain unproven.
    let out = resolver(false).resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::SERVFAIL, "{:?}", out.security);
}

#[tokio::test]
async fn unsigned_target_data_beside_a_signed_cname_is_asked_for_again() {
    let now: u32 = 1_800_000_000;
    let signed =
        signed_example("www.example. 300 CNAME next.example.\nnext.example. 300 A 192.0.2.1\n", b"chain-target", now);
    let mut anchors = Anchors::empty();
    let ds = ds_records(&signed);
    anchors.add_records(&ds).unwrap();
    let records = signed.records.clone();
    // The server answers www.example. with the signed CNAME and, beside
    // it, target data nobody signed (a spoofed or stale record).
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        let want = if qd.name == n("www.example.") { RType::CNAME } else { qd.qtype };
        m.answers = rrset_of(&records, &qd.name, want);
        if qd.name == n("www.example.") {
            m.answers.extend(parse_zone("next.example. 300 A 192.0.2.66\n", None).unwrap());
        }
        Ok(m)
    };
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    let r = Resolver::new(cfg, Scripted::new(script), ManualClock::at(u64::from(now)));
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.security, Security::Secure);
    let a: Vec<String> = out.answers.iter().filter(|r| r.rtype() == RType::A).map(|r| r.data.to_string()).collect();
    assert_eq!(a, ["192.0.2.1"], "the signed target, not the unsigned one");
    assert!(asked_lines(&r).iter().any(|l| l.ends_with(" next.example. A")), "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn hardened_sibling_glue_is_looked_up_and_is_the_last_resort() {
    // The root refers example. to ns.sibling. with glue (127.0.0.20); the
    // root itself answers for ns.sibling. with another address (127.0.0.30),
    // or refuses to when `lookup_works` is false.
    let script = |lookup_works: bool| {
        move |server: SocketAddr, _: Protocol, q: &Message| {
            let qd = q.question().unwrap();
            let asked = format!("{} {}", qd.name, qd.qtype);
            match (server.ip().to_string().as_str(), asked.as_str()) {
                ("127.0.0.1", "www.example. A") => {
                    Ok(referral("example.", "ns.sibling.", "ns.sibling. 3600 A 127.0.0.20\n"))
                }
                ("127.0.0.1", "ns.sibling. A") if lookup_works => {
                    Ok(resp(true, Rcode::NOERROR, "ns.sibling. 300 A 127.0.0.30\n", "", ""))
                }
                ("127.0.0.1", _) => Ok(resp(false, Rcode::REFUSED, "", "", "")),
                ("127.0.0.20", "www.example. A") => {
                    Ok(resp(true, Rcode::NOERROR, "www.example. 300 A 192.0.2.20\n", "", ""))
                }
                ("127.0.0.30", "www.example. A") => {
                    Ok(resp(true, Rcode::NOERROR, "www.example. 300 A 192.0.2.30\n", "", ""))
                }
                (ip, a) => panic!("{ip} asked {a}"),
            }
        }
    };
    let answer = |hardened: bool, lookup_works: bool| async move {
        let mut cfg = loopback_config(Anchors::empty());
        cfg.qname_minimisation = false;
        cfg.harden_unverified_glue = hardened;
        let r = Resolver::new(cfg, Scripted::new(script(lookup_works)), ManualClock::at(1_800_000_000));
        let out = r.resolve(&n("www.example."), RType::A).await;
        out.answers.iter().map(|r| r.data.to_string()).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(answer(false, true).await, "192.0.2.20", "sibling glue used by default");
    assert_eq!(answer(true, true).await, "192.0.2.30", "hardened: the sibling's own address");
    assert_eq!(answer(true, false).await, "192.0.2.20", "hardened, lookup failing: the glue as last resort");
}

#[tokio::test]
async fn the_root_key_sentinel_answers_for_a_and_aaaa_only() {
    let now: u32 = 1_800_000_000;
    let seed: &[u8] = b"sentinel";
    let base = ". 300 SOA ns.test. h.test. 1 2 3 4 300\n. 300 NS ns.test.\nns.test. 300 A 127.0.0.1\n";
    // The key (from the seed) and so its tag are the same whatever is signed.
    let tag = sign(".", &parse_zone(base, None).unwrap(), seed, now).ds[0].key_tag;
    let mut text = base.to_owned();
    for (kind, t) in [("is-ta", tag), ("not-ta", tag), ("is-ta", 0)] {
        let owner = format!("root-key-sentinel-{kind}-{t:05}.test.");
        text.push_str(&format!("{owner} 300 A 192.0.2.1\n{owner} 300 TXT \"probe\"\n"));
    }
    let signed = sign(".", &parse_zone(&text, None).unwrap(), seed, now);
    let ds = ds_records(&signed);
    let mut anchors = Anchors::empty();
    anchors.add_records(&ds).unwrap();
    let records = signed.records.clone();
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        m.answers = rrset_of(&records, &qd.name, qd.qtype);
        Ok(m)
    };
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    let r = Resolver::new(cfg, Scripted::new(script), ManualClock::at(u64::from(now)));
    let ask = |name: String, t: RType| {
        let r = &r;
        async move { r.resolve(&n(&name), t).await }
    };
    let is_ta = format!("root-key-sentinel-is-ta-{tag:05}.test.");
    let not_ta = format!("root-key-sentinel-not-ta-{tag:05}.test.");
    let out = ask(is_ta.clone(), RType::A).await;
    assert_eq!((out.rcode, &out.security), (Rcode::NOERROR, &Security::Secure), "the key is a trust anchor");
    let out = ask(not_ta.clone(), RType::A).await;
    let Security::Servfail(f) = &out.security else { panic!("not-ta of a trust anchor: {:?}", out.security) };
    assert_eq!((out.rcode, f.kind), (Rcode::SERVFAIL, FailureKind::KeySentinel));
    let out = ask("root-key-sentinel-is-ta-00000.test.".into(), RType::A).await;
    assert_eq!(out.rcode, Rcode::SERVFAIL, "is-ta of a key that is not one");
    // Other types are answered as they are (RFC 8509 §3.2).
    let out = ask(not_ta, RType::TXT).await;
    assert_eq!((out.rcode, &out.security), (Rcode::NOERROR, &Security::Secure));
}

#[tokio::test]
async fn out_of_bailiwick_glue_is_used_only_with_harden_glue_off() {
    let script = |server: SocketAddr, _: Protocol, q: &Message| {
        let qname = q.question().unwrap().name.to_string();
        match (server.ip().to_string().as_str(), qname.as_str()) {
            ("127.0.0.1", "www.evil.test.") => Ok(referral("test.", "ns.test.", "ns.test. 3600 A 127.0.0.2\n")),
            ("127.0.0.1", _) => Ok(resp(false, Rcode::REFUSED, "", "", "")),
            ("127.0.0.2", "www.evil.test.") => {
                Ok(referral("evil.test.", "ns.elsewhere.", "ns.elsewhere. 3600 A 127.0.0.66\n"))
            }
            ("127.0.0.66", _) => Ok(resp(true, Rcode::NOERROR, "www.evil.test. 300 A 192.0.2.66\n", "", "")),
            (other, q) => panic!("{other} asked {q}"),
        }
    };
    for (hardened, rcode) in [(true, Rcode::SERVFAIL), (false, Rcode::NOERROR)] {
        let mut cfg = loopback_config(Anchors::empty());
        cfg.qname_minimisation = false;
        cfg.harden_glue = hardened;
        let r = Resolver::new(cfg, Scripted::new(script), ManualClock::at(1_800_000_000));
        let out = r.resolve(&n("www.evil.test."), RType::A).await;
        assert_eq!(out.rcode, rcode, "harden_glue {hardened}: {:?}", out.security);
    }
}

#[tokio::test]
async fn ns_answers_carry_in_zone_addresses_and_non_minimal_nodata_the_ns_rrset() {
    let t = |server: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        if server.ip().to_string() == "127.0.0.1" {
            return Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.10\n"));
        }
        let ns = "example. 300 NS ns.example.\nexample. 300 NS ns.other.\n";
        let glue = "ns.example. 300 A 127.0.0.10\nns.other. 300 A 127.0.0.11\n";
        let soa = "example. 300 SOA ns.example. h.example. 1 2 3 4 300\n";
        Ok(match (qd.name.to_string().as_str(), qd.qtype) {
            ("example.", RType::NS) => resp(true, Rcode::NOERROR, ns, "", glue),
            ("www.example.", RType::AAAA) => resp(true, Rcode::NOERROR, "", &format!("{soa}{ns}"), glue),
            (_, _) => resp(true, Rcode::NXDOMAIN, "", &format!("{soa}{ns}"), glue),
        })
    };
    let resolver = |minimal: bool| {
        let mut cfg = loopback_config(Anchors::empty());
        cfg.qname_minimisation = false;
        cfg.minimal_responses = minimal;
        Resolver::new(cfg, Scripted::new(t), ManualClock::at(1_800_000_000))
    };
    let lines = |rs: &[candor_wire::Record]| rs.iter().map(|r| format!("{} {}", r.owner, r.data)).collect::<Vec<_>>();
    // An NS answer: the in-zone server's address, not the other one's.
    let out = resolver(true).resolve(&n("example."), RType::NS).await;
    assert_eq!(lines(&out.additional), ["ns.example. 127.0.0.10"]);
    // NODATA: the NS RRset only when responses are not minimal.
    let out = resolver(true).resolve(&n("www.example."), RType::AAAA).await;
    assert!(out.authority.iter().all(|r| r.rtype() != RType::NS), "{:?}", lines(&out.authority));
    let out = resolver(false).resolve(&n("www.example."), RType::AAAA).await;
    let ns: Vec<String> = out.authority.iter().filter(|r| r.rtype() == RType::NS).map(|r| r.data.to_string()).collect();
    assert_eq!(ns.len(), 2, "{:?}", lines(&out.authority));
    assert_eq!(lines(&out.additional), ["ns.example. 127.0.0.10"]);
    // NXDOMAIN: never.
    let out = resolver(false).resolve(&n("nx.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NXDOMAIN);
    assert!(out.authority.iter().all(|r| r.rtype() != RType::NS), "{:?}", lines(&out.authority));
}

#[tokio::test]
async fn a_bogus_link_that_ran_out_is_checked_again_with_the_servers_kept() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let now: u32 = 1_800_000_000;
    let child = sign(
        "example.",
        &parse_zone(
            "example. 300 SOA ns.example. h.example. 1 2 3 4 300\nexample. 300 NS ns.example.\nns.example. 300 A 127.0.0.2\nwww.example. 300 A 192.0.2.1\n",
            None,
        )
        .unwrap(),
        b"child",
        now,
    );
    let root_text = ". 300 SOA ns.root. h.root. 1 2 3 4 300\n. 300 NS ns.root.\nns.root. 300 A 127.0.0.1\nexample. 300 NS ns.example.\nns.example. 300 A 127.0.0.2\n".to_owned();
    let mut root_zone = parse_zone(&root_text, None).unwrap();
    root_zone.extend(ds_records(&child));
    let root = sign(".", &root_zone, b"root", now);
    // First the child serves its DNSKEY RRset without signatures (bogus);
    // once fixed, the root no longer refers to it.
    let fixed = Arc::new(AtomicBool::new(false));
    let flag = fixed.clone();
    let (root_records, child_records) = (root.records.clone(), child.records.clone());
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        let fixed = flag.load(Ordering::SeqCst);
        match server.ip().to_string().as_str() {
            "127.0.0.1" if qd.name.is_root() => {
                m.header.flags.aa = true;
                m.answers = rrset_of(&root_records, &qd.name, qd.qtype);
            }
            "127.0.0.1" if fixed => m.header.rcode = Rcode::REFUSED,
            "127.0.0.1" => {
                let ex = n("example.");
                m.authority = rrset_of(&root_records, &ex, RType::NS);
                m.authority.extend(rrset_of(&root_records, &ex, RType::DS));
                m.additional = rrset_of(&root_records, &n("ns.example."), RType::A);
            }
            _ => {
                m.header.flags.aa = true;
                m.answers = rrset_of(&child_records, &qd.name, qd.qtype);
                if qd.qtype == RType::DNSKEY && !fixed {
                    m.answers.retain(|r| r.rtype() != RType::RRSIG);
                }
            }
        }
        Ok(m)
    };
    let mut anchors = Anchors::empty();
    anchors.add_records(&ds_records(&root)).unwrap();
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    let clock = ManualClock::at(u64::from(now));
    let r = Resolver::new(cfg, Scripted::new(script), clock.clone());
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert!(matches!(out.security, Security::Bogus(_)), "{:?}", out.security);
    fixed.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(61));
    let before = asked_lines(&r).len();
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.security, Security::Secure, "keys fetched again from the kept servers");
    let again = &asked_lines(&r)[before..];
    assert!(again.iter().all(|l| !l.starts_with("127.0.0.1 www.example.")), "{again:?}");
    assert!(again.iter().any(|l| l == "127.0.0.2 example. DNSKEY"), "{again:?}");
}

#[tokio::test]
async fn malformed_records_are_left_out_of_a_response_and_the_rest_is_used() {
    let t = Scripted::new(|_, _, _| {
        let mut m = resp(true, Rcode::NOERROR, ANSWER, "", "");
        m.answers.push(candor_wire::Record::new(
            n("www.example."),
            300,
            candor_wire::RData::Unknown { rtype: RType::A, data: vec![3, 4, 5] },
        ));
        Ok(m)
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NOERROR, "{:?}", out.security);
    let a: Vec<String> = out.answers.iter().map(|r| r.data.to_string()).collect();
    assert_eq!(a, ["192.0.2.1"]);
    // The answer says what it lost (EDE 0 on NOERROR).
    let Security::Insecure(Some(f)) = out.security else { panic!("{:?}", out.security) };
    assert_eq!(
        (f.kind, f.kind.ede_code(), f.rrset),
        (FailureKind::MalformedRecord, 0, Some((n("www.example."), RType::A)))
    );
}

#[tokio::test]
async fn a_signed_rrset_that_lost_a_malformed_record_blames_the_record_not_the_signer() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("www.example. 300 A 192.0.2.1\nwww.example. 300 A 192.0.2.2\n", b"scrub", now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    // `malformed`: the second address goes out as three octets; else it
    // is simply missing (a signature that fails for no visible reason).
    let script = move |malformed: bool| {
        let records = records.clone();
        move |_: SocketAddr, _: Protocol, q: &Message| {
            let qd = q.question().unwrap();
            let mut m = Message::default();
            m.header.flags.aa = true;
            m.answers = rrset_of(&records, &qd.name, qd.qtype);
            if qd.qtype == RType::A {
                m.answers.retain(|r| r.data.to_string() != "192.0.2.2");
                if malformed {
                    m.answers.push(candor_wire::Record::new(
                        n("www.example."),
                        300,
                        candor_wire::RData::Unknown { rtype: RType::A, data: vec![192, 0, 2] },
                    ));
                }
            }
            Ok(m)
        }
    };
    for (malformed, kind, code) in [(true, FailureKind::MalformedRecord, 0), (false, FailureKind::SignatureInvalid, 6)]
    {
        let r = anchored(&ds, script(malformed), now, |_| {});
        let out = r.resolve(&n("www.example."), RType::A).await;
        let Security::Bogus(f) = out.security else { panic!("{:?}", out.security) };
        assert_eq!((f.kind, f.kind.ede_code()), (kind, code), "malformed: {malformed}");
        assert_eq!(f.rrset, Some((n("www.example."), RType::A)));
    }
}

#[tokio::test]
async fn a_verified_dname_beside_a_forged_cname_is_kept_and_rewrites_the_next_question() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("x.example. 300 DNAME example.\nloop.example. 300 TXT \"end\"\n", b"dname-forged", now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    // Every name below x.example. gets the signed DNAME and a forged CNAME.
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        if qd.name.is_subdomain_of(&n("x.example.")) && qd.name != n("x.example.") {
            m.answers = rrset_of(&records, &n("x.example."), RType::DNAME);
            m.answers.extend(parse_zone(&format!("{} 300 CNAME evil.example.\n", qd.name), None).unwrap());
        } else {
            m.answers = rrset_of(&records, &qd.name, qd.qtype);
        }
        Ok(m)
    };
    let r = anchored(&ds, script, now, |_| {});
    let out = r.resolve(&n("a.x.example."), RType::TXT).await;
    assert!(matches!(out.security, Security::Bogus(_)), "{:?}", out.security);
    // The DNAME kept from that answer rewrites loop.x.example. to
    // loop.example. without asking for the forged name.
    let out = r.resolve(&n("loop.x.example."), RType::TXT).await;
    assert_eq!(out.security, Security::Secure);
    let txt: Vec<String> = out.answers.iter().filter(|r| r.rtype() == RType::TXT).map(|r| r.data.to_string()).collect();
    assert_eq!(txt, ["\"end\""]);
    assert!(!asked_lines(&r).iter().any(|l| l.ends_with(" loop.x.example. TXT")), "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn a_chain_ends_on_the_target_zones_own_carried_proof_when_its_keys_are_known() {
    let now: u32 = 1_800_000_000;
    let zone_text = |z: &str, ip: u8| {
        format!(
            "{z} 300 SOA ns.{z} h.{z} 1 2 3 4 300\n{z} 300 NS ns.{z}\nns.{z} 300 A 127.0.0.{ip}\nwww.{z} 300 A 192.0.2.{ip}\n"
        )
    };
    let example_text = format!("{}chain.example. 300 CNAME gone.other.\n", zone_text("example.", 2));
    let example = sign("example.", &parse_zone(&example_text, None).unwrap(), b"example", now);
    let other = sign("other.", &parse_zone(&zone_text("other.", 3), None).unwrap(), b"other", now);
    let mut root_zone = parse_zone(
        ". 300 SOA ns.root. h.root. 1 2 3 4 300\n. 300 NS ns.root.\nns.root. 300 A 127.0.0.1\n\
         example. 300 NS ns.example.\nns.example. 300 A 127.0.0.2\nother. 300 NS ns.other.\nns.other. 300 A 127.0.0.3\n",
        None,
    )
    .unwrap();
    root_zone.extend(ds_records(&example));
    root_zone.extend(ds_records(&other));
    let root = sign(".", &root_zone, b"root", now);
    // www.example. is a CNAME to gone.other. that example.'s server sends
    // with other.'s own signed NXDOMAIN proof; other.'s server refuses to
    // talk about gone.other. (as a broken or unreachable server would).
    let (root_records, example_records, other_records) =
        (root.records.clone(), example.records.clone(), other.records.clone());
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        match server.ip().to_string().as_str() {
            "127.0.0.1" if qd.name.is_root() => m.answers = rrset_of(&root_records, &qd.name, qd.qtype),
            "127.0.0.1" => {
                m.header.flags.aa = false;
                let child = if qd.name.is_subdomain_of(&n("example.")) { "example." } else { "other." };
                m.authority = rrset_of(&root_records, &n(child), RType::NS);
                m.authority.extend(rrset_of(&root_records, &n(child), RType::DS));
                m.additional = rrset_of(&root_records, &n(&format!("ns.{child}")), RType::A);
            }
            "127.0.0.2" if qd.name == n("chain.example.") => {
                m.header.rcode = Rcode::NXDOMAIN;
                m.answers = rrset_of(&example_records, &qd.name, RType::CNAME);
                m.authority = rrset_of(&other_records, &n("other."), RType::SOA);
                m.authority.extend(rrset_of(&other_records, &n("other."), RType::NSEC));
            }
            "127.0.0.2" => m.answers = rrset_of(&example_records, &qd.name, qd.qtype),
            "127.0.0.3" if qd.name == n("gone.other.") => m.header.rcode = Rcode::REFUSED,
            _ => m.answers = rrset_of(&other_records, &qd.name, qd.qtype),
        }
        Ok(m)
    };
    let mut anchors = Anchors::empty();
    anchors.add_records(&ds_records(&root)).unwrap();
    let resolver = |warm: bool| {
        let mut cfg = loopback_config(anchors.clone());
        cfg.qname_minimisation = false;
        let r = Resolver::new(cfg, Scripted::new(script.clone()), ManualClock::at(u64::from(now)));
        async move {
            if warm {
                // other.'s keys become known.
                assert_eq!(r.resolve(&n("www.other."), RType::A).await.security, Security::Secure);
            }
            let out = r.resolve(&n("chain.example."), RType::A).await;
            (r, out)
        }
    };
    let (r, out) = resolver(true).await;
    assert_eq!((out.rcode, &out.security), (Rcode::NXDOMAIN, &Security::Secure));
    assert!(out.authority.iter().any(|rr| rr.rtype() == RType::NSEC && rr.owner == n("other.")));
    assert!(!asked_lines(&r).iter().any(|l| l.contains("gone.other.")), "{:?}", asked_lines(&r));
    // The target's denial is kept as its own (any type, RFC 8020).
    let before = asked_lines(&r).len();
    let out = r.resolve(&n("gone.other."), RType::TXT).await;
    assert_eq!((out.rcode, asked_lines(&r).len()), (Rcode::NXDOMAIN, before));
    // other.'s keys unknown: the carried proof is not used; its server is asked.
    let (r, out) = resolver(false).await;
    assert_eq!(out.rcode, Rcode::SERVFAIL, "{:?}", out.security);
    assert!(asked_lines(&r).iter().any(|l| l.contains("gone.other.")));
}

#[tokio::test]
async fn an_answer_that_needs_a_proof_keeps_the_zones_verified_ns_and_target_addresses() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example(
        "*.w.example. 300 MX 1 mail.example.\nwww.example. 300 MX 1 mail.example.\nmail.example. 300 A 127.0.0.20\n",
        b"whole-wildcard",
        now,
    );
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let of = |owner: &str, t: RType| rrset_of(&records, &n(owner), t);
        let mut m = Message::default();
        m.header.flags.aa = true;
        m.answers = match qd.name.to_string().as_str() {
            // The wildcard's MX, expanded for the name asked.
            "a.w.example." => of("*.w.example.", RType::MX)
                .into_iter()
                .map(|mut r| {
                    r.owner = qd.name.clone();
                    r
                })
                .collect(),
            name => of(name, qd.qtype),
        };
        if qd.qtype == RType::MX {
            m.authority = of("example.", RType::NS);
            // The wildcard's proof; beside the plain answer, an NSEC that
            // proves nothing about it.
            let nsec = if qd.name == n("a.w.example.") { "*.w.example." } else { "mail.example." };
            m.authority.extend(of(nsec, RType::NSEC));
            m.additional = of("mail.example.", RType::A);
            // An address nobody signed: it must not ride along.
            m.additional.extend(parse_zone("ns.example. 300 A 127.0.0.66\n", None).unwrap());
        }
        Ok(m)
    };
    let r = anchored(&ds, script, now, |_| {});
    let types = |rs: &[candor_wire::Record]| rs.iter().map(|r| (r.owner.to_string(), covered(r))).collect::<Vec<_>>();
    let out = r.resolve(&n("a.w.example."), RType::MX).await;
    assert_eq!(out.security, Security::Secure);
    let authority = types(&out.authority);
    assert!(authority.contains(&("*.w.example.".into(), RType::NSEC)), "{authority:?}");
    assert_eq!(authority.iter().filter(|t| **t == ("example.".into(), RType::NS)).count(), 2, "NS and its RRSIG");
    assert_eq!(types(&out.additional), [("mail.example.".into(), RType::A), ("mail.example.".into(), RType::A)]);
    // A minimal answer that needs no proof carries neither, nor the NSEC.
    let out = r.resolve(&n("www.example."), RType::MX).await;
    assert_eq!(out.security, Security::Secure);
    assert!(out.authority.is_empty() && out.additional.is_empty(), "{:?} {:?}", out.authority, out.additional);
}

#[tokio::test]
async fn a_kept_wildcard_and_its_proof_answer_other_names_without_asking() {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("*.w.example. 300 TXT \"wild\"\n", b"wildcard-synthesis", now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    // Names below w.example. get the wildcard's TXT expanded, with the
    // NSEC that proves no closer match; other types there are NODATA.
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let of = |owner: &str, t: RType| rrset_of(&records, &n(owner), t);
        let mut m = Message::default();
        m.header.flags.aa = true;
        if qd.name.is_subdomain_of(&n("w.example.")) && qd.name != n("w.example.") {
            if qd.qtype == RType::TXT {
                m.answers = of("*.w.example.", RType::TXT)
                    .into_iter()
                    .map(|r| candor_wire::Record { owner: qd.name.clone(), ..r })
                    .collect();
            } else {
                m.authority = of("example.", RType::SOA);
            }
            m.authority.extend(of("*.w.example.", RType::NSEC));
        } else {
            m.answers = of(&qd.name.to_string(), qd.qtype);
        }
        Ok(m)
    };
    let resolver = |aggressive: bool| anchored(&ds, script.clone(), now, |c| c.cache.aggressive_nsec = aggressive);
    let asked = |r: &Resolver<Scripted, ManualClock>, q: &str| asked_lines(r).iter().any(|l| l.ends_with(q));
    let r = resolver(true);
    assert_eq!(r.resolve(&n("a.w.example."), RType::TXT).await.security, Security::Secure);
    let out = r.resolve(&n("b.w.example."), RType::TXT).await;
    assert_eq!(out.security, Security::Secure);
    assert!(!asked(&r, " b.w.example. TXT"), "{:?}", asked_lines(&r));
    let txt: Vec<(String, String)> = out
        .answers
        .iter()
        .filter(|r| r.rtype() == RType::TXT)
        .map(|r| (r.owner.to_string(), r.data.to_string()))
        .collect();
    assert_eq!(txt, [("b.w.example.".to_owned(), "\"wild\"".to_owned())]);
    assert!(out.authority.iter().any(|r| r.owner == n("*.w.example.") && r.rtype() == RType::NSEC), "the proof");
    // A type the wildcard was not seen with is asked for.
    r.resolve(&n("b.w.example."), RType::MX).await;
    assert!(asked(&r, " b.w.example. MX"), "{:?}", asked_lines(&r));
    // Without aggressive use of the cache, every name is asked for.
    let r = resolver(false);
    r.resolve(&n("a.w.example."), RType::TXT).await;
    r.resolve(&n("b.w.example."), RType::TXT).await;
    assert!(asked(&r, " b.w.example. TXT"), "{:?}", asked_lines(&r));
}
