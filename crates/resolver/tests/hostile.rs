//! Hostile authorities (a first part of the suite the hostile-authorities
//! issue asks for): a scripted server plays a spoofer's response, and a
//! second question shows whether anything forged reached the cache.

mod common;
use common::*;

const NOW: u32 = 1_800_000_000;

/// A signed example. whose server answers every question from the zone,
/// except where `forge` returns a response of its own.
fn signed_server(
    extra: &str,
    seed: &[u8],
    forge: impl Fn(SocketAddr, &Message, &[candor_wire::Record]) -> Option<Message> + Send + Sync + 'static,
) -> Resolver<Scripted, ManualClock> {
    let signed = signed_example(extra, seed, NOW);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        if let Some(m) = forge(server, q, &records) {
            return Ok(m);
        }
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        m.answers = rrset_of(&records, &qd.name, qd.qtype);
        Ok(m)
    };
    anchored(&ds, script, NOW, |_| {})
}

fn addresses(r: &candor_resolver::Resolution) -> Vec<String> {
    r.answers.iter().filter(|rr| rr.rtype() == RType::A).map(|rr| rr.data.to_string()).collect()
}

#[tokio::test]
async fn an_rrsig_question_cannot_plant_a_dname() {
    // The spoofed answer to www.example. RRSIG carries the name's RRSIG and
    // an unsigned DNAME for the whole zone.
    let r = signed_server(
        "www.example. 300 A 192.0.2.1\nfoo.example. 300 A 192.0.2.7\n",
        b"rrsig-dname",
        |_, q, records| {
            let qd = q.question().unwrap();
            (qd.qtype == RType::RRSIG).then(|| {
                let mut m = Message::default();
                m.header.flags.aa = true;
                m.answers =
                    records.iter().filter(|r| r.owner == qd.name && r.rtype() == RType::RRSIG).cloned().collect();
                m.answers.extend(parse_zone("example. 300 DNAME evil.test.\n", None).unwrap());
                m
            })
        },
    );
    let out = r.resolve(&n("www.example."), RType::RRSIG).await;
    assert!(!out.answers.is_empty() && out.answers.iter().all(|rr| rr.rtype() == RType::RRSIG), "{:?}", out.answers);
    // The second question is not rewritten into the attacker's tree.
    let out = r.resolve(&n("foo.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.7".to_owned()]));
    assert!(!asked_lines(&r).iter().any(|l| l.contains("evil.test.")), "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn unrelated_answer_records_of_an_unsigned_zone_are_neither_passed_on_nor_cached() {
    let t = Scripted::new(|_, _, q| {
        let qd = q.question().unwrap();
        Ok(match qd.name.to_string().as_str() {
            // The won race: the answer, plus another name's address and a
            // DNAME for a subtree.
            "www.example." => resp(
                true,
                Rcode::NOERROR,
                "www.example. 300 A 192.0.2.1\nother.example. 300 A 203.0.113.66\nsub.example. 300 DNAME evil.test.\n",
                "",
                "",
            ),
            "other.example." => resp(true, Rcode::NOERROR, "other.example. 300 A 192.0.2.2\n", "", ""),
            "a.sub.example." => resp(true, Rcode::NOERROR, "a.sub.example. 300 A 192.0.2.3\n", "", ""),
            _ => resp(true, Rcode::NXDOMAIN, "", "example. 300 SOA ns.example. h.example. 1 2 3 4 300\n", ""),
        })
    });
    let r = resolver(t, &[1]);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.1"]);
    assert_eq!(out.answers.len(), 1, "{:?}", out.answers);
    let out = r.resolve(&n("other.example."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.2"], "the forged address was cached");
    let out = r.resolve(&n("a.sub.example."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.3"], "the forged DNAME was cached");
    assert!(!asked_lines(&r).iter().any(|l| l.contains("evil.test.")), "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn an_unrelated_record_beside_a_signed_nodata_is_dropped_and_the_nodata_stands() {
    let r = signed_server("www.example. 300 A 192.0.2.1\n", b"nodata-extra", |_, q, records| {
        let qd = q.question().unwrap();
        (qd.name == n("www.example.") && qd.qtype == RType::TXT).then(|| {
            let mut m = Message::default();
            m.header.flags.aa = true;
            m.answers = parse_zone("other.example. 300 TXT \"forged\"\n", None).unwrap();
            m.authority = rrset_of(records, &n("example."), RType::SOA);
            m.authority.extend(rrset_of(records, &n("www.example."), RType::NSEC));
            m
        })
    });
    let out = r.resolve(&n("www.example."), RType::TXT).await;
    assert_eq!((out.rcode, out.security.clone(), out.answers.len()), (Rcode::NOERROR, Security::Secure, 0), "{out:?}");
    // Nor was the forged record kept for its own name.
    let out = r.resolve(&n("other.example."), RType::TXT).await;
    assert!(out.answers.is_empty(), "{:?}", out.answers);
}

#[tokio::test]
async fn a_forged_referral_inside_a_signed_zone_is_bogus_when_the_parent_denies_the_cut() {
    // www.example. is an address in the signed zone; a spoofer answers its
    // A question with a referral to a server of its own.
    let r = signed_server("www.example. 300 A 192.0.2.1\n", b"forged-referral", |server, q, records| {
        let qd = q.question().unwrap();
        if server.ip().to_string() == "127.0.0.66" {
            // The spoofer's own server answers whatever it is asked.
            return Some(resp(true, Rcode::NOERROR, &format!("{} 300 A 203.0.113.66\n", qd.name), "", ""));
        }
        let spoofed = |answer: &str, authority: &str, additional: &str| {
            let mut m = resp(false, Rcode::NOERROR, answer, authority, additional);
            m.header.flags.aa = authority.is_empty();
            Some(m)
        };
        match (qd.name.to_string().as_str(), qd.qtype) {
            ("www.example.", RType::A) => {
                spoofed("", "www.example. 300 NS ns.www.example.\n", "ns.www.example. 300 A 127.0.0.66\n")
            }
            // The genuine parent: no DS at www.example., and its NSEC shows
            // no NS there either (the parent's side of a cut would).
            ("www.example.", RType::DS) => {
                let mut m = Message::default();
                m.header.flags.aa = true;
                m.authority = rrset_of(records, &n("example."), RType::SOA);
                m.authority.extend(rrset_of(records, &n("www.example."), RType::NSEC));
                Some(m)
            }
            _ => None,
        }
    });
    let out = r.resolve(&n("www.example."), RType::A).await;
    let Security::Bogus(f) = &out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.kind, FailureKind::NotADelegation, "{f:?}");
    assert_eq!(f.rrset, Some((n("www.example."), RType::NS)), "the text names the forged referral");
    assert_eq!(f.kind.ede_code(), 6);
    // Bogus: a CD=0 client gets SERVFAIL (only a CD=1 client sees the
    // forger's data, RFC 6840 §5.9), from the cache too.
    let again = r.resolve(&n("www.example."), RType::A).await;
    assert!(matches!(again.security, Security::Bogus(_)), "{:?}", again.security);
}

#[tokio::test]
async fn a_forged_cname_beside_a_signed_dname_is_not_followed() {
    let r = signed_server(
        "x.example. 300 DNAME example.\nloop.example. 300 TXT \"end\"\n",
        b"dname-cname-forged",
        |_, q, records| {
            let qd = q.question().unwrap();
            (qd.name.is_subdomain_of(&n("x.example.")) && qd.name != n("x.example.")).then(|| {
                // The signed DNAME, and a forged CNAME to the spoofer's tree.
                let mut m = Message::default();
                m.header.flags.aa = true;
                m.answers = rrset_of(records, &n("x.example."), RType::DNAME);
                m.answers.extend(parse_zone(&format!("{} 300 CNAME a.evil.test.\n", qd.name), None).unwrap());
                m
            })
        },
    );
    let out = r.resolve(&n("a.x.example."), RType::TXT).await;
    let Security::Bogus(f) = &out.security else { panic!("{:?}", out.security) };
    assert_eq!(f.kind.ede_code(), 6);
    assert!(
        !asked_lines(&r).iter().any(|l| l.contains("evil.test.")),
        "the forger's target was asked: {:?}",
        asked_lines(&r)
    );
    // The verified DNAME, kept, rewrites the next name without asking it.
    let out = r.resolve(&n("loop.x.example."), RType::TXT).await;
    assert_eq!(out.security, Security::Secure);
    assert!(!asked_lines(&r).iter().any(|l| l.contains("evil.test.") || l.ends_with(" loop.x.example. TXT")));
}

#[tokio::test]
async fn an_answer_synthesised_from_a_kept_wildcard_does_not_outlive_its_proof() {
    // The wildcard's TXT lives an hour; the NSEC that proves it applies to
    // another name, five minutes (the SOA minimum).
    let r = signed_server("*.w.example. 3600 TXT \"wild\"\n", b"wildcard-ttl", |_, q, records| {
        let qd = q.question().unwrap();
        (qd.name.is_subdomain_of(&n("w.example.")) && qd.name != n("w.example.")).then(|| {
            let mut m = Message::default();
            m.header.flags.aa = true;
            m.answers = rrset_of(records, &n("*.w.example."), RType::TXT)
                .into_iter()
                .map(|r| candor_wire::Record { owner: qd.name.clone(), ..r })
                .collect();
            m.authority = rrset_of(records, &n("*.w.example."), RType::NSEC);
            m
        })
    });
    assert_eq!(r.resolve(&n("a.w.example."), RType::TXT).await.security, Security::Secure);
    let out = r.resolve(&n("b.w.example."), RType::TXT).await;
    assert!(!asked_lines(&r).iter().any(|l| l.ends_with(" b.w.example. TXT")), "synthesised from the cache");
    let proof = out.authority.iter().filter(|r| r.rtype() == RType::NSEC).map(|r| r.ttl).min().unwrap();
    assert!(proof <= 300, "{proof}");
    assert!(out.answers.iter().all(|r| r.ttl <= proof), "{:?}", out.answers);
}

#[tokio::test]
async fn glue_from_a_zone_higher_up_does_not_replace_a_closer_zones() {
    let t = Scripted::new(|server, _, q| {
        let qd = q.question().unwrap();
        let name = qd.name.clone();
        let under = |z: &str| name.is_subdomain_of(&n(z));
        Ok(match server.ip().to_string().as_str() {
            "127.0.0.1" if under("test.") => referral("test.", "ns.test.", "ns.test. 300 A 127.0.0.2\n"),
            // The root's bailiwick holds every name: its referral for evil.
            // may carry glue for a server of test.'s children.
            "127.0.0.1" if under("evil.") => referral("evil.", "ns.shared.test.", "ns.shared.test. 300 A 127.0.0.66\n"),
            "127.0.0.2" if under("a.test.") => {
                referral("a.test.", "ns.shared.test.", "ns.shared.test. 300 A 127.0.0.3\n")
            }
            // b.test. names the same server, without glue.
            "127.0.0.2" if under("b.test.") => referral("b.test.", "ns.shared.test.", ""),
            "127.0.0.3" => resp(true, Rcode::NOERROR, &format!("{name} 300 A 192.0.2.3\n"), "", ""),
            "127.0.0.66" => resp(true, Rcode::NOERROR, &format!("{name} 300 A 203.0.113.66\n"), "", ""),
            _ => return Err(TransportError::Timeout(server)),
        })
    });
    let r = resolver(t, &[1]);
    assert_eq!(addresses(&r.resolve(&n("www.a.test."), RType::A).await), ["192.0.2.3"]);
    // evil.'s delegation is the root's to give; its glue for a name in
    // test. is not the word of test.'s own referral.
    r.resolve(&n("www.evil."), RType::A).await;
    let out = r.resolve(&n("www.b.test."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.3"], "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn unverified_proofs_beside_secure_answers_are_not_passed_on() {
    let r = signed_server("www.example. 300 A 192.0.2.1\n", b"unverified-proofs", |_, q, records| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        if qd.name == n("www.example.") && qd.qtype == RType::A {
            // The signed answer, and a forged NSEC3 RRset "for the opt-out".
            m.answers = rrset_of(records, &n("www.example."), RType::A);
            m.authority = parse_zone(
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 300 NSEC3 1 1 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TON A\n\
                 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 300 RRSIG NSEC3 13 2 300 2000000000 1000000000 1 example. AAAA\n",
                None,
            )
            .unwrap();
            return Some(m);
        }
        if qd.name == n("nosuch.example.") {
            // A genuine NXDOMAIN proof, and a forged DS RRset beside it.
            m.header.rcode = Rcode::NXDOMAIN;
            m.authority = rrset_of(records, &n("example."), RType::SOA);
            m.authority.extend(rrset_of(records, &n("example."), RType::NSEC));
            m.authority.extend(rrset_of(records, &n("ns.example."), RType::NSEC));
            m.authority.extend(
                parse_zone(
                    "sub.example. 300 DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000\n",
                    None,
                )
                .unwrap(),
            );
            return Some(m);
        }
        None
    });
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.security, Security::Secure);
    assert!(!out.authority.iter().any(|rr| covered(rr) == RType::NSEC3), "{:?}", out.authority);
    let out = r.resolve(&n("nosuch.example."), RType::A).await;
    assert_eq!((out.rcode, out.security.clone()), (Rcode::NXDOMAIN, Security::Secure));
    assert!(!out.authority.iter().any(|rr| covered(rr) == RType::DS), "{:?}", out.authority);
}

/// A transport that answers through `Scripted` after a pause, so questions
/// overlap in flight.
struct Slow(Scripted);

impl Transport for Slow {
    async fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.0.query(server, protocol, query, timeout).await
    }
}

#[tokio::test]
async fn identical_questions_in_flight_share_one_upstream_query() {
    // A spoofer's birthday attack needs many identical queries in flight:
    // fifty clients asking the same question at once put one on the wire.
    let t = Scripted::new(|_, _, q| {
        let qd = q.question().unwrap();
        Ok(resp(true, Rcode::NOERROR, &format!("{} 300 A 192.0.2.1\n", qd.name), "", ""))
    });
    let mut cfg = Config::new(vec![addr(1).ip()], Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.qname_minimisation = false;
    cfg.priming = false;
    let r = std::sync::Arc::new(Resolver::new(cfg, Slow(t), ManualClock::at(u64::from(NOW))));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let r = std::sync::Arc::clone(&r);
            tokio::spawn(async move { r.resolve(&n("www.example."), RType::A).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(addresses(&t.await.unwrap()), ["192.0.2.1"]);
    }
    let asked = r.transport().0.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(r.merged_questions(), (49, 0));
}

#[tokio::test]
async fn huge_rrsets_and_responses_are_refused_whole_naming_the_cap() {
    // 300 TXT records in one RRset; 5 RRsets of 220 records each (1,100 in
    // all): neither is kept, not even in part.
    let t = Scripted::new(|_, _, q| {
        let qd = q.question().unwrap();
        let records = |owner: &str, count: usize| -> String {
            (0..count).map(|i| format!("{owner} 300 TXT \"{i}\"\n")).collect()
        };
        Ok(match qd.name.to_string().as_str() {
            "big.example." => resp(true, Rcode::NOERROR, &records("big.example.", 300), "", ""),
            "many.example." => {
                let mut m = resp(true, Rcode::NOERROR, &records("many.example.", 220), "", "");
                let hosts: String = (0..4).map(|i| records(&format!("h{i}.example."), 220)).collect();
                m.additional = parse_zone(&hosts, None).unwrap();
                m
            }
            _ => resp(true, Rcode::NOERROR, &records(&qd.name.to_string(), 3), "", ""),
        })
    });
    let r = resolver(t, &[1]);
    for (name, kind, limit) in
        [("big.example.", BudgetKind::RrsetRecords, 256), ("many.example.", BudgetKind::ResponseRecords, 1024)]
    {
        let out = r.resolve(&n(name), RType::TXT).await;
        let Security::Servfail(f) = &out.security else { panic!("{name}: {:?}", out.security) };
        assert_eq!((out.rcode, f.budget.as_deref().copied()), (Rcode::SERVFAIL, Some((kind, limit))), "{name}");
        assert!(out.answers.is_empty());
        assert!(f.ede().1.contains(&format!("(limit {limit})")), "{}", f.ede().1);
    }
    // An ordinary answer still comes through.
    assert_eq!(r.resolve(&n("small.example."), RType::TXT).await.answers.len(), 3);
}
