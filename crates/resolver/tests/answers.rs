//! Validated answers through a scripted transport: islands of trust,
//! denials and proofs, chains, DNAME and wildcard synthesis, malformed
//! records, the root key sentinel, and what an answer carries beside it.

mod common;
use common::*;

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
