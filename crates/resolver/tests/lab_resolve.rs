//! The resolver over the real UDP/TCP transport against the lab served on
//! loopback: every case of the catalogue gets its expected verdict and EDE
//! code.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_lab::{Lab, LabConfig, Verdict, serve};
use candor_resolver::{Config, ManualClock, NetTransport, Outbound, Resolver, Security};
use candor_wire::{Name, RData, Record};

mod common;

use common::{NOW, lab_and_config};

fn verdict(s: &Security) -> (Verdict, Option<u16>) {
    match s {
        Security::Secure => (Verdict::Secure, None),
        Security::Insecure(f) => (Verdict::Insecure, f.as_ref().map(|f| f.kind.ede_code())),
        Security::Bogus(f) => (Verdict::Bogus, Some(f.kind.ede_code())),
        Security::Servfail(f) => (Verdict::Servfail, Some(f.kind.ede_code())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lab_case_gets_its_verdict_and_code() {
    let (lab, running, mut config) = lab_and_config(59).await;
    config.timeout = Duration::from_millis(300);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (case, qname) in &lab.cases {
        let clock = ManualClock::at((NOW as i64 + case.clock_offset) as u64);
        let resolver = Resolver::new(config.clone(), NetTransport::new(), clock);
        let r = resolver.resolve(qname, case.qtype).await;
        let got = verdict(&r.security);
        let kind: String = match &r.security {
            Security::Secure => "valid".to_owned(),
            Security::Insecure(None) => "insecure".to_owned(),
            Security::Insecure(Some(f)) | Security::Bogus(f) | Security::Servfail(f) => f.kind.id().to_owned(),
        };
        let kind_ok = match &r.security {
            Security::Insecure(None) => case.kind.starts_with("insecure"),
            _ => kind == case.kind,
        };
        if !kind_ok {
            wrong.push(format!("{}: kind {} expected, got {kind}", case.name, case.kind));
        }
        if std::env::var_os("CANDOR_KINDS").is_some() {
            eprintln!("KIND {} lab={} resolver={}", case.name, case.kind, kind);
        }
        if std::env::var_os("CANDOR_SHOW").is_some() {
            eprintln!("{}: {:?} {:?}", case.name, got, r.security);
        }
        if got != (case.verdict, case.ede) {
            wrong.push(format!(
                "{}: want {:?}/{:?}, got {:?} ({:?})",
                case.name, case.verdict, case.ede, got, r.security
            ));
        }
        checked += 1;
    }
    // The second time, a broken case comes from the (bogus) cache with the same failure.
    let resolver = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    for (name, code) in [("rrsig-exp-all", 7), ("ds-bad-tag", 9), ("valid", 0)] {
        let qname: Name = format!("{name}.test.").parse().unwrap();
        let first = resolver.resolve(&qname, candor_wire::RType::A).await;
        let second = resolver.resolve(&qname, candor_wire::RType::A).await;
        assert!(!first.from_cache && second.from_cache, "{name}");
        // The same failure, which now also says it is a cached verdict.
        let mut again = second.security.clone();
        if let Security::Bogus(f) = &mut again {
            let cached = f.evidence.pop();
            assert!(matches!(cached, Some(candor_resolver::Evidence::Cached { age: 0, retry: 60 })), "{cached:?}");
        }
        assert_eq!(first.security, again, "{name}");
        assert_eq!(verdict(&second.security).1.unwrap_or(0), code, "{name}");
    }
    let st = resolver.cache().stats();
    assert_eq!((st.hits, st.misses, st.entries), (3, 3, 3));
    // DS goes to the parent side even when the child's cut is known.
    let ds = resolver.resolve(&"valid.test.".parse().unwrap(), candor_wire::RType::DS).await;
    assert_eq!(ds.security, Security::Secure);
    assert!(ds.answers.iter().any(|rr| rr.rtype() == candor_wire::RType::DS), "{:?}", ds.answers);
    // A flush forgets a zone at once: the next answer is fetched afresh.
    resolver.flush(&"rrsig-exp-all.test.".parse().unwrap());
    let again = resolver.resolve(&"rrsig-exp-all.test.".parse().unwrap(), candor_wire::RType::A).await;
    assert!(!again.from_cache);
    running.stop();
    assert!(checked > 80);
    assert!(wrong.is_empty(), "{} of {checked} cases differ:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_trust_anchors_and_local_zones() {
    let (_lab, running, mut config) = lab_and_config(62).await;
    config.anchors.add_negative("rrsig-exp-all.test.".parse().unwrap(), NOW + 3600);
    let broken: Name = "rrsig-exp-all.test.".parse().unwrap();
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    let out = r.resolve(&broken, candor_wire::RType::A).await;
    assert_eq!(out.security, Security::Insecure(None), "the NTA hides the failure");
    assert!(out.answers.iter().any(|rr| rr.rtype() == candor_wire::RType::A));
    config.nta_ede = true;
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    let out = r.resolve(&broken, candor_wire::RType::A).await;
    assert_eq!(verdict(&out.security), (Verdict::Insecure, Some(33)));
    // After the NTA expires, the failure shows again.
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW + 3600));
    assert_eq!(verdict(&r.resolve(&broken, candor_wire::RType::A).await.security), (Verdict::Bogus, Some(7)));
    // Local zones never reach the network.
    let out = r.resolve(&"localhost.".parse().unwrap(), candor_wire::RType::A).await;
    assert_eq!(out.answers.len(), 1);
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5011_state_is_kept_and_trusted_across_restarts() {
    let (_lab, running, mut config) = lab_and_config(66).await;
    let lab_anchor = config.anchors.clone();
    let state = std::env::temp_dir().join(format!("candor-5011-lab-{}.state", std::process::id()));
    let _ = std::fs::remove_file(&state);
    config.anchor_state = Some(state.clone());
    let q: Name = "valid.test.".parse().unwrap();
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    assert_eq!(r.resolve(&q, candor_wire::RType::A).await.security, Security::Secure);
    // (Written off the runtime's threads: waited for.)
    let st = saved_state(&state, |st| !st.trusted().is_empty()).await;
    assert_eq!(st.trusted().len(), 1, "the root KSK the DS vouched for is Valid");
    let written = std::fs::read(&state).unwrap();
    // Restart with the same anchor: the state is used and kept.
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW + 60));
    assert_eq!(r.resolve(&q, candor_wire::RType::A).await.security, Security::Secure);
    let ksk = candor_crypto::key_tag(&st.trusted()[0]);
    assert!(r.root_key_tags().contains(&ksk), "{:?} lacks {ksk}", r.root_key_tags());
    // Restart with another anchor (or none): the state tracks keys that
    // anchor does not vouch for, so it is refused, not trusted beyond the
    // anchor, and left as it is.
    let other = candor_wire::text::parse_zone(&format!(". 300 DS 12345 13 2 {}\n", "00".repeat(32)), None).unwrap();
    for anchors in [Some(other), None] {
        config.anchors = Anchors::empty();
        if let Some(ds) = &anchors {
            config.anchors.add_records(ds).unwrap();
        }
        let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW + 120));
        let out = r.resolve(&q, candor_wire::RType::A).await;
        assert_ne!(out.security, Security::Secure, "trusted through a state the anchor does not vouch for");
        let expected: &[u16] = if anchors.is_some() { &[12345] } else { &[] };
        assert_eq!(r.root_key_tags(), expected, "the refused state's keys are not reported as trusted");
        assert_eq!(std::fs::read(&state).unwrap(), written, "a refused state is not overwritten");
    }
    // A corrupt state is moved aside (kept for the operator), reported,
    // and tracking starts afresh from the anchor.
    config.anchors = lab_anchor;
    std::fs::write(&state, "this is not an RFC 5011 state\n").unwrap();
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW + 180));
    assert_eq!(r.resolve(&q, candor_wire::RType::A).await.security, Security::Secure);
    let aside = state.with_file_name(format!("{}.corrupt-{}", state.file_name().unwrap().to_string_lossy(), NOW + 180));
    assert_eq!(std::fs::read_to_string(&aside).unwrap(), "this is not an RFC 5011 state\n");
    assert_eq!(
        saved_state(&state, |st| !st.trusted().is_empty()).await.trusted().len(),
        1,
        "a fresh state was written"
    );
    std::fs::remove_file(&aside).unwrap();
    std::fs::remove_file(&state).unwrap();
    running.stop();
}

/// The RFC 5011 state at `path` once it satisfies `ok` (state files are
/// written off the runtime's threads), within five seconds.
async fn saved_state(path: &std::path::Path, ok: impl Fn(&candor_anchor::Rfc5011) -> bool) -> candor_anchor::Rfc5011 {
    for _ in 0..500 {
        if let Ok(st) = candor_anchor::Rfc5011::load(path)
            && ok(&st)
        {
            return st;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} was not written", path.display());
}

/// An upstream recursive resolver for forwarding tests: candor's own
/// resolver iterating over the lab, answering with everything it got
/// (as with CD=1), or with the DNSSEC records stripped.
async fn upstream(config: Config, strip: bool) -> std::net::SocketAddr {
    let sock = std::sync::Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = sock.local_addr().unwrap();
    let inner = std::sync::Arc::new(Resolver::new(config, NetTransport::new(), ManualClock::at(NOW)));
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else { continue };
            let Ok(q) = candor_wire::Message::from_wire(&buf[..n]) else { continue };
            let (sock, inner) = (sock.clone(), inner.clone());
            tokio::spawn(async move {
                let qd = q.question().unwrap().clone();
                let r = inner.resolve(&qd.name, qd.qtype).await;
                let keep = |rr: &Record| {
                    !strip
                        || !matches!(
                            rr.rtype(),
                            candor_wire::RType::RRSIG | candor_wire::RType::NSEC | candor_wire::RType::NSEC3
                        )
                };
                let mut m =
                    candor_wire::Message { header: q.header, questions: q.questions.clone(), ..Default::default() };
                m.header.flags.qr = true;
                m.header.flags.ra = true;
                m.header.rcode = r.rcode;
                m.answers = r.answers.into_iter().filter(keep).collect();
                m.authority = r.authority.into_iter().filter(keep).collect();
                m.edns = q.edns.clone();
                let _ = sock.send_to(&m.to_wire().unwrap(), peer).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_validates_here_and_names_an_upstream_that_strips_rrsigs() {
    let (_lab, running, config) = lab_and_config(68).await;
    let good = upstream(config.clone(), false).await;
    let stripping = upstream(config.clone(), true).await;

    // Everything forwarded; the outbound policy allows only a block the
    // upstream is not in: forward targets are allowed all the same.
    let mut fwd = config.clone();
    fwd.outbound = Outbound { allow: Some(vec!["127.255.255.0/24".parse().unwrap()]), ..Outbound::default() };
    fwd.forwards = vec![candor_resolver::Forward { zone: Name::root(), servers: vec![good] }];
    let r = Resolver::new(fwd.clone(), NetTransport::new(), ManualClock::at(NOW));
    for (q, want) in [
        ("valid.test.", (Verdict::Secure, None)),
        ("www.solvethenetwork.com.", (Verdict::Secure, None)),
        ("rrsig-exp-a.test.", (Verdict::Bogus, Some(7))),
        ("ds-bad-tag.test.", (Verdict::Bogus, Some(9))),
        ("unsigned.test.", (Verdict::Insecure, None)),
        ("nosuch.nsec3-nxdomain.test.", (Verdict::Secure, None)),
    ] {
        let out = r.resolve(&q.parse().unwrap(), candor_wire::RType::A).await;
        assert_eq!(verdict(&out.security), want, "{q}: {:?}", out.security);
    }
    // The same through an upstream that strips DNSSEC records: bogus, 10, and the text says why.
    fwd.forwards = vec![candor_resolver::Forward { zone: Name::root(), servers: vec![stripping] }];
    let r = Resolver::new(fwd, NetTransport::new(), ManualClock::at(NOW));
    let out = r.resolve(&"valid.test.".parse().unwrap(), candor_wire::RType::A).await;
    let Security::Bogus(f) = &out.security else { panic!("{:?}", out.security) };
    let (code, text) = f.ede();
    assert_eq!(code, 10);
    assert!(text.contains(&format!("the upstream resolver {stripping} is not DNSSEC-aware")), "{text}");
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_zones_use_their_configured_servers_and_the_parents_trust() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = LabConfig::new(NOW);
    cfg.block = Ipv4Addr::new(127, 69, 0, 0);
    cfg.port = port;
    let lab = Lab::build(cfg).unwrap();
    let running = serve(&lab).await.unwrap();
    let addr_of = |zone: &str| {
        let z: Name = zone.parse().unwrap();
        let ip = lab.zones.iter().find(|x| x.origin == z).unwrap().addr.unwrap();
        std::net::SocketAddr::new(IpAddr::V4(ip), port)
    };
    let mut anchors = Anchors::empty();
    let root_ds: Vec<Record> = lab.root_ds.iter().map(|d| Record::new(Name::root(), 0, RData::Ds(d.clone()))).collect();
    anchors.add_records(&root_ds).unwrap();
    let mut config = Config::new(vec![IpAddr::V4(Ipv4Addr::new(127, 69, 0, 1))], anchors);
    config.port = port;
    // Only the root and test. servers may be reached through referrals.
    config.outbound = Outbound {
        allow: Some(vec!["127.69.0.1/32".parse().unwrap(), "127.69.0.2/32".parse().unwrap()]),
        ..Outbound::default()
    };
    let q: Name = "www.valid.test.".parse().unwrap();
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    assert_eq!(verdict(&r.resolve(&q, candor_wire::RType::A).await.security), (Verdict::Servfail, Some(22)));
    config.stubs =
        vec![candor_resolver::Forward { zone: "valid.test.".parse().unwrap(), servers: vec![addr_of("valid.test.")] }];
    let r = Resolver::new(config.clone(), NetTransport::new(), ManualClock::at(NOW));
    assert_eq!(r.resolve(&q, candor_wire::RType::A).await.security, Security::Secure);
    // A stub pointing at servers of another zone: they refuse.
    config.stubs = vec![candor_resolver::Forward {
        zone: "valid.test.".parse().unwrap(),
        servers: vec![addr_of("valid-8.test.")],
    }];
    let r = Resolver::new(config, NetTransport::new(), ManualClock::at(NOW));
    assert_eq!(verdict(&r.resolve(&q, candor_wire::RType::A).await.security), (Verdict::Servfail, Some(22)));
    running.stop();
}
