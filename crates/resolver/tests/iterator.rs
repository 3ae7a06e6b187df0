//! The iterator through a scripted transport: each test says what each
//! server answers, and checks what the resolver did and whom it asked
//! (server selection, lame and silent servers, TC and EDNS fallback,
//! glue and name-server look-ups, QNAME minimisation, priming, budgets).

mod common;
use common::*;

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
        // Each server asked, with what it did.
        assert!(text.contains("servers asked: ") && text.contains(&format!("127.0.0.2:53 {rcode}")), "{text}");
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
async fn a_server_that_truncates_is_asked_over_tcp_first_until_an_answer_would_fit_udp() {
    // Over UDP every answer is truncated; over TCP the names under big.
    // get 100 addresses (more than 1232 octets), the others one.
    let big: String = (1..=100).map(|i| format!("{{name}} 300 A 192.0.2.{i}\n")).collect();
    let t = Scripted::new(move |_, proto, q| {
        let name = q.question().unwrap().name.to_string();
        if proto == Protocol::Udp {
            let mut m = resp(true, Rcode::NOERROR, "", "", "");
            m.header.flags.tc = true;
            return Ok(m);
        }
        let answer = match name.ends_with(".big.example.") {
            true => big.replace("{name}", &name),
            false => format!("{name} 300 A 192.0.2.1\n"),
        };
        Ok(resp(true, Rcode::NOERROR, &answer, "", ""))
    });
    let clock = ManualClock::at(1_800_000_000);
    let mut cfg = Config::new(vec![addr(1).ip()], Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    (cfg.qname_minimisation, cfg.priming) = (false, false);
    let r = Resolver::new(cfg, t, clock.clone());
    for name in ["a.big.example.", "b.big.example.", "small.example.", "c.big.example.", "d.big.example."] {
        if name == "d.big.example." {
            // A minute on, the memory of c.big.'s truncation is gone.
            clock.advance(Duration::from_secs(61));
        }
        let out = r.resolve(&n(name), RType::A).await;
        assert_eq!(out.rcode, Rcode::NOERROR, "{name}");
    }
    let (udp, tcp) = (Protocol::Udp, Protocol::Tcp);
    let want = [
        // Truncated over UDP, asked again over TCP: a large answer.
        ("a.big.example.", udp),
        ("a.big.example.", tcp),
        // Remembered: TCP at once (the answer is large again).
        ("b.big.example.", tcp),
        // TCP at once; this answer would have fit: UDP first next time.
        ("small.example.", tcp),
        ("c.big.example.", udp),
        ("c.big.example.", tcp),
        ("d.big.example.", udp),
        ("d.big.example.", tcp),
    ];
    assert_eq!(asked_protocols(&r), want.map(|(n, p)| (n.to_owned(), p)));
}

#[tokio::test]
async fn tcp_first_falls_back_to_udp_when_tcp_fails() {
    // UDP truncates names under big. and answers the others; TCP is blocked.
    let t = Scripted::new(|server, proto, q| {
        let name = q.question().unwrap().name.to_string();
        match proto {
            Protocol::Tcp => Err(TransportError::Unreachable { server, kind: std::io::ErrorKind::ConnectionRefused }),
            Protocol::Udp if name.ends_with(".big.example.") => {
                let mut m = resp(true, Rcode::NOERROR, "", "", "");
                m.header.flags.tc = true;
                Ok(m)
            }
            Protocol::Udp => Ok(resp(true, Rcode::NOERROR, &format!("{name} 300 A 192.0.2.1\n"), "", "")),
        }
    });
    let r = resolver(t, &[1]);
    assert_eq!(r.resolve(&n("a.big.example."), RType::A).await.rcode, Rcode::SERVFAIL);
    for name in ["small.example.", "other.example."] {
        let out = r.resolve(&n(name), RType::A).await;
        assert_eq!((out.rcode, out.answers.len()), (Rcode::NOERROR, 1), "{name}");
    }
    let (udp, tcp) = (Protocol::Udp, Protocol::Tcp);
    let want = [
        ("a.big.example.", udp),
        ("a.big.example.", tcp),
        // TCP first (a.big. truncated), refused: UDP answers, and the
        // next question goes to UDP at once.
        ("small.example.", tcp),
        ("small.example.", udp),
        ("other.example.", udp),
    ];
    assert_eq!(asked_protocols(&r), want.map(|(n, p)| (n.to_owned(), p)));
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
            // Any other server is silent, as the network would be: whether
            // the resolver asked one is checked from the log below.
            _ => Err(TransportError::Timeout(server)),
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
    assert!(asked.len() >= 4, "both questions went through the root and test.: {asked:?}");
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
            ("127.0.0.10", name) if name.ends_with(".b.example. A") => {
                Ok(resp(true, Rcode::NOERROR, &format!("{} 300 A 192.0.2.9\n", qd.name), "", ""))
            }
            (ip, a) => panic!("{ip} asked {a}"),
        }
    });
    let cfg = loopback_config(Anchors::empty());
    let clock = ManualClock::at(1_800_000_000);
    let r = Resolver::new(cfg, t, clock.clone());
    let out = r.resolve(&n("a.b.example."), RType::A).await;
    assert_eq!((out.rcode, out.answers.len()), (Rcode::NOERROR, 1));
    // The next names below b.example. skip the minimised question that
    // led nowhere (for a minute), and ask it again after that.
    let out = r.resolve(&n("c.b.example."), RType::A).await;
    assert_eq!((out.rcode, out.answers.len()), (Rcode::NOERROR, 1));
    clock.advance(Duration::from_secs(61));
    r.resolve(&n("d.b.example."), RType::A).await;
    let asked: Vec<String> = asked_lines(&r).into_iter().filter(|l| l.starts_with("127.0.0.10")).collect();
    let want = [
        "127.0.0.10 b.example. NS",
        "127.0.0.10 a.b.example. A",
        "127.0.0.10 c.b.example. A",
        "127.0.0.10 b.example. NS",
        "127.0.0.10 d.b.example. A",
    ];
    assert_eq!(asked, want);
}

#[tokio::test]
async fn a_timeout_then_success_on_the_second_server_backs_the_first_off() {
    // The answering server takes 200 ms (slower than a server never
    // measured is assumed to be): only the timeout's backoff keeps the
    // silent server from being asked first next time.
    let clock = ManualClock::at(1_800_000_000);
    let ticks = clock.clone();
    let t = Scripted::new(move |server, _, q| match server.ip().to_string().as_str() {
        "127.0.0.1" => Err(TransportError::Timeout(server)),
        _ => {
            ticks.advance(Duration::from_millis(200));
            Ok(resp(true, Rcode::NOERROR, &format!("{} 300 A 192.0.2.1\n", q.question().unwrap().name), "", ""))
        }
    });
    let mut cfg = Config::new(vec![addr(1).ip(), addr(2).ip()], Anchors::empty());
    cfg.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().unwrap()]), ..Outbound::default() };
    cfg.qname_minimisation = false;
    cfg.priming = false;
    // No random exploration: the order is the servers' measured speed.
    cfg.server_exploration = false;
    let r = Resolver::new(cfg, t, clock);
    for name in ["www.example.", "ftp.example."] {
        let out = r.resolve(&n(name), RType::A).await;
        assert_eq!(out.answers.len(), 1, "{name}");
    }
    // Whichever server the first question tried first, the second question
    // goes to the one that answered and never to the silent one.
    let asked = asked_lines(&r);
    let second: Vec<&String> = asked.iter().filter(|l| l.contains("ftp.example.")).collect();
    assert_eq!(second, ["127.0.0.2 ftp.example. A"], "{asked:?}");
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
