//! Hostile authorities, second part: attacks played inside a small world
//! of zones on loopback. The root (127.0.0.1, unsigned) delegates the
//! signed `example.` to two servers (127.0.0.2 and .3, trusted through a
//! configured DS) and the unsigned `test.` to 127.0.0.4; the attacker's own
//! server is 127.0.0.66 and its address 203.0.113.66. Each test plays one
//! spoofed or forged response, then asks a second question where a
//! poisoned cache would show, and checks that the attacker's server was
//! never asked.

mod common;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use candor_wire::{RData, Record};
use common::*;

const NOW: u32 = 1_800_000_000;
const EVIL: &str = "203.0.113.66";

/// What a forger may answer instead: (server, question, the signed
/// example. zone's records) → a response of its own.
type Forge = dyn Fn(SocketAddr, &Message, &[Record]) -> Option<Message> + Send + Sync;

/// The world, with `extra` added to the signed example. zone and `forge`
/// consulted before every genuine answer.
fn world(
    extra: &str,
    seed: &[u8],
    forge: impl Fn(SocketAddr, &Message, &[Record]) -> Option<Message> + Send + Sync + 'static,
) -> Resolver<Scripted, ManualClock> {
    let base = "example. 300 SOA ns1.example. h.example. 1 2 3 4 300\n\
                example. 300 NS ns1.example.\nexample. 300 NS ns2.example.\n\
                ns1.example. 300 A 127.0.0.2\nns2.example. 300 A 127.0.0.3\n\
                www.example. 300 A 192.0.2.1\n";
    let signed = sign("example.", &parse_zone(&format!("{base}{extra}"), None).unwrap(), seed, NOW);
    let ds = ds_records(&signed);
    let records: Arc<Vec<Record>> = Arc::new(signed.records.clone());
    let test_zone = parse_zone(
        "test. 300 SOA ns.test. h.test. 1 2 3 4 300\ntest. 300 NS ns.test.\nns.test. 300 A 127.0.0.4\n\
         www.test. 300 A 192.0.2.40\nloop.test. 300 CNAME loop.example.\n",
        None,
    )
    .unwrap();
    let forge: Box<Forge> = Box::new(forge);
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        if let Some(m) = forge(server, q, &records) {
            return Ok(m);
        }
        let qd = q.question().unwrap();
        let name = qd.name.clone();
        Ok(match server.ip().to_string().as_str() {
            "127.0.0.1"
                if name.is_subdomain_of(&n("example.")) && !(name == n("example.") && qd.qtype == RType::DS) =>
            {
                resp(
                    false,
                    Rcode::NOERROR,
                    "",
                    "example. 300 NS ns1.example.\nexample. 300 NS ns2.example.\n",
                    "ns1.example. 300 A 127.0.0.2\nns2.example. 300 A 127.0.0.3\n",
                )
            }
            "127.0.0.1" if name.is_subdomain_of(&n("test.")) => {
                referral("test.", "ns.test.", "ns.test. 300 A 127.0.0.4\n")
            }
            "127.0.0.1" => resp(true, Rcode::NXDOMAIN, "", ". 300 SOA a.root. h.root. 1 2 3 4 300\n", ""),
            "127.0.0.2" | "127.0.0.3" => authoritative(&records, &name, qd.qtype),
            "127.0.0.4" => {
                let answers: Vec<Record> = test_zone
                    .iter()
                    .filter(|r| r.owner == name && (r.rtype() == qd.qtype || r.rtype() == RType::CNAME))
                    .cloned()
                    .collect();
                let exists = test_zone.iter().any(|r| r.owner == name);
                let rcode = if exists { Rcode::NOERROR } else { Rcode::NXDOMAIN };
                let soa = if answers.is_empty() { "test. 300 SOA ns.test. h.test. 1 2 3 4 300\n" } else { "" };
                let mut m = resp(true, rcode, "", soa, "");
                m.answers = answers;
                m
            }
            // The attacker's own server says whatever it likes.
            "127.0.0.66" => resp(true, Rcode::NOERROR, &format!("{name} 300 A {EVIL}\n"), "", ""),
            _ => return Err(TransportError::Timeout(server)),
        })
    };
    anchored(&ds, script, NOW, |_| {})
}

/// A signed zone's answer as its server gives it: the RRset (or a CNAME)
/// with its RRSIGs; NODATA with the SOA and the name's NSEC; NXDOMAIN with
/// the SOA, the NSEC covering the name and the one covering the wildcard.
fn authoritative(records: &[Record], name: &Name, qtype: RType) -> Message {
    let mut m = Message::default();
    m.header.flags.aa = true;
    m.answers = rrset_of(records, name, qtype);
    if m.answers.is_empty() {
        m.answers = rrset_of(records, name, RType::CNAME);
    }
    if !m.answers.is_empty() {
        return m;
    }
    let apex = n("example.");
    m.authority = rrset_of(records, &apex, RType::SOA);
    if records.iter().any(|r| r.owner == *name) {
        m.authority.extend(rrset_of(records, name, RType::NSEC));
        return m;
    }
    m.header.rcode = Rcode::NXDOMAIN;
    let cover = |target: &Name| {
        records.iter().find_map(|r| match &r.data {
            RData::Nsec(x) if r.owner < *target && (*target < x.next || x.next == apex) => Some(r.owner.clone()),
            _ => None,
        })
    };
    for target in [name.clone(), n("*.example.")] {
        if let Some(owner) = cover(&target) {
            let set = rrset_of(records, &owner, RType::NSEC);
            if !m.authority.contains(&set[0]) {
                m.authority.extend(set);
            }
        }
    }
    m
}

/// The addresses of an answer.
fn addresses(r: &candor_resolver::Resolution) -> Vec<String> {
    r.answers.iter().filter(|rr| rr.rtype() == RType::A).map(|rr| rr.data.to_string()).collect()
}

/// Nothing was asked of the attacker's server, nor of its names.
fn attacker_never_asked(r: &Resolver<Scripted, ManualClock>) {
    let asked = asked_lines(r);
    assert!(!asked.iter().any(|l| l.starts_with("127.0.0.66 ") || l.contains("evil.")), "{asked:?}");
}

/// The servers of example. (a spoofer answers in their name).
const EXAMPLE: &[&str] = &["127.0.0.2", "127.0.0.3"];

/// A forger that answers `qname`/`qtype` once (the won race) in the name
/// of one of `servers`, then lets the genuine servers speak.
fn once(
    servers: &'static [&'static str],
    qname: &'static str,
    qtype: RType,
    forged: impl Fn(&[Record]) -> Message + Send + Sync + 'static,
) -> impl Fn(SocketAddr, &Message, &[Record]) -> Option<Message> + Send + Sync + 'static {
    let count = AtomicUsize::new(0);
    move |server, q, records| {
        let qd = q.question().unwrap();
        let hit = qd.name == n(qname) && qd.qtype == qtype && servers.contains(&server.ip().to_string().as_str());
        let first = hit && count.fetch_add(1, Ordering::SeqCst) == 0;
        if first {
            FIRED.with(|f| f.set(f.get() + 1));
        }
        first.then(|| forged(records))
    }
}

thread_local! {
    /// How many forged responses [`once`] sent on this test's thread (the
    /// scripted transport answers on the thread that asks).
    static FIRED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The forged response was sent (the attack was played, not skipped).
fn assert_forged() {
    assert_eq!(FIRED.with(std::cell::Cell::get), 1, "the forger never answered");
}

#[tokio::test]
async fn the_world_answers_as_it_should_without_an_attacker() {
    let r = world("", b"world", |_, _, _| None);
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    let out = r.resolve(&n("nosuch.example."), RType::A).await;
    assert_eq!((out.rcode, out.security.clone()), (Rcode::NXDOMAIN, Security::Secure), "{out:?}");
    let out = r.resolve(&n("www.test."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.40"]);
    assert!(matches!(out.security, Security::Insecure(_)));
}

#[tokio::test]
async fn an_unsigned_zones_answer_cannot_carry_records_for_a_signed_name() {
    let r = world(
        "",
        b"insecure-carries-signed",
        once(&["127.0.0.4"], "www.test.", RType::A, |_| {
            resp(
                true,
                Rcode::NOERROR,
                &format!("www.test. 300 A 192.0.2.40\nwww.example. 300 A {EVIL}\n"),
                "example. 300 NS ns.evil.\n",
                &format!("www.example. 300 A {EVIL}\nns.evil. 300 A 127.0.0.66\n"),
            )
        }),
    );
    let out = r.resolve(&n("www.test."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.40"]);
    assert!(out.authority.is_empty() && out.additional.is_empty(), "{out:?}");
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    attacker_never_asked(&r);
    assert_forged();
}

#[tokio::test]
async fn an_unsigned_address_for_a_signed_zones_server_rides_along_and_is_not_taken() {
    // A signed answer with a forged address for the zone's own server in
    // the additional section, and an unsigned NS RRset naming another.
    let r = world(
        "",
        b"forged-server-address",
        once(EXAMPLE, "www.example.", RType::A, |records| {
            let mut m = authoritative(records, &n("www.example."), RType::A);
            m.authority = parse_zone("example. 300 NS ns1.example.\nexample. 300 NS ns.evil.test.\n", None).unwrap();
            m.additional = parse_zone("ns1.example. 300 A 127.0.0.66\nns.evil.test. 300 A 127.0.0.66\n", None).unwrap();
            m
        }),
    );
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(out.security, Security::Secure);
    assert!(!out.additional.iter().any(|rr| rr.data.to_string() == "127.0.0.66"), "{:?}", out.additional);
    let out = r.resolve(&n("ns1.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["127.0.0.2".to_owned()]));
    // A fresh name of the zone is asked of its real servers.
    let out = r.resolve(&n("nosuch.example."), RType::A).await;
    assert_eq!((out.rcode, out.security.clone()), (Rcode::NXDOMAIN, Security::Secure));
    attacker_never_asked(&r);
    assert_forged();
}

#[tokio::test]
async fn a_referral_cannot_plant_a_siblings_delegation_or_answer_data() {
    // The root's referral for example. also delegates test. to the
    // attacker and carries an address for www.example. in both sections.
    let r = world(
        "",
        b"referral-extras",
        once(&["127.0.0.1"], "www.example.", RType::A, |_| {
            resp(
                false,
                Rcode::NOERROR,
                "",
                &format!(
                    "example. 300 NS ns1.example.\nexample. 300 NS ns2.example.\ntest. 300 NS ns.evil.\nwww.example. 300 A {EVIL}\n"
                ),
                &format!(
                    "ns1.example. 300 A 127.0.0.2\nns2.example. 300 A 127.0.0.3\nns.evil. 300 A 127.0.0.66\nwww.example. 300 A {EVIL}\n"
                ),
            )
        }),
    );
    let (out, links) = r.trace(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    // The trace says what the gate left out of the referral.
    let dropped: Vec<String> = links
        .iter()
        .filter_map(|l| match l {
            candor_resolver::Link::Referral { dropped, .. } => Some(dropped),
            _ => None,
        })
        .flatten()
        .map(|(owner, t, _)| format!("{owner} {t}"))
        .collect();
    assert_eq!(dropped, ["test. NS", "www.example. A", "ns.evil. A", "www.example. A"], "{links:?}");
    let out = r.resolve(&n("www.test."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.40"]);
    attacker_never_asked(&r);
    assert_forged();
}

#[tokio::test]
async fn out_of_bailiwick_glue_does_not_reach_the_servers_own_zone() {
    // test.'s server delegates sub.test. to ns1.example. with "glue" for
    // it: test. has no say over example.'s addresses.
    let r = world("", b"oob-glue", |server, q, _| {
        let qd = q.question().unwrap();
        (server.ip().to_string() == "127.0.0.4" && qd.name.is_subdomain_of(&n("sub.test.")))
            .then(|| referral("sub.test.", "ns1.example.", "ns1.example. 300 A 127.0.0.66\n"))
    });
    r.resolve(&n("www.sub.test."), RType::A).await;
    let out = r.resolve(&n("ns1.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["127.0.0.2".to_owned()]));
    attacker_never_asked(&r);
}

#[tokio::test]
async fn a_spoofed_bogus_answer_is_asked_again_of_the_zones_other_server() {
    // One won race: the real signature over a forged address. The other
    // server's answer stands, and no bogus verdict is kept for the name.
    let r = world(
        "",
        b"bogus-once",
        once(EXAMPLE, "www.example.", RType::A, |records| {
            let mut m = authoritative(records, &n("www.example."), RType::A);
            for rr in &mut m.answers {
                if rr.rtype() == RType::A {
                    rr.data = RData::A(EVIL.parse().unwrap());
                }
            }
            m
        }),
    );
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    let again = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((again.security.clone(), addresses(&again)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    let asked: Vec<String> = asked_lines(&r).into_iter().filter(|l| l.ends_with(" www.example. A")).collect();
    assert_eq!(asked.len(), 3, "the referral, the spoofed answer, the other server: {asked:?}");
    assert_forged();
}

#[tokio::test]
async fn an_unsigned_cname_beside_signed_data_is_not_followed() {
    let r = world(
        "",
        b"unsigned-cname",
        once(EXAMPLE, "www.example.", RType::A, |_| {
            resp(true, Rcode::NOERROR, "www.example. 300 CNAME www.evil.test.\n", "", "")
        }),
    );
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    attacker_never_asked(&r);
    assert_forged();
}

#[tokio::test]
async fn a_forged_dname_and_its_cname_inside_a_signed_zone_are_not_followed() {
    // Every answer below x.example. is forged: an unsigned DNAME to the
    // attacker's tree and the CNAME it would synthesise.
    let r = world("", b"forged-dname", |server, q, _| {
        let qd = q.question().unwrap();
        let below = qd.name.is_subdomain_of(&n("x.example.")) && qd.name != n("x.example.");
        (below && server.ip().to_string() != "127.0.0.1").then(|| {
            let cname =
                format!("{} 300 CNAME {}evil.test.\n", qd.name, qd.name.to_string().trim_end_matches("x.example."));
            resp(true, Rcode::NOERROR, &format!("x.example. 300 DNAME evil.test.\n{cname}"), "", "")
        })
    });
    let out = r.resolve(&n("a.x.example."), RType::A).await;
    assert!(matches!(out.security, Security::Bogus(_)), "{:?}", out.security);
    assert!(addresses(&out).is_empty());
    // Nothing was kept: the next name below x.example. is asked of the zone.
    let out = r.resolve(&n("b.x.example."), RType::A).await;
    assert!(matches!(out.security, Security::Bogus(_)), "{:?}", out.security);
    assert!(asked_lines(&r).iter().any(|l| l.ends_with(" b.x.example. A")));
    attacker_never_asked(&r);
}

#[tokio::test]
async fn a_chain_leaving_a_signed_zone_takes_its_target_from_the_targets_zone() {
    // The signed CNAME is genuine; the address for its target in another
    // zone that rides along with it is the attacker's.
    let r = world(
        "alias.example. 300 CNAME www.test.\n",
        b"chain-leaves",
        once(EXAMPLE, "alias.example.", RType::A, |records| {
            let mut m = authoritative(records, &n("alias.example."), RType::A);
            m.answers.extend(parse_zone(&format!("www.test. 300 A {EVIL}\n"), None).unwrap());
            m
        }),
    );
    let out = r.resolve(&n("alias.example."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.40"], "{out:?}");
    let out = r.resolve(&n("www.test."), RType::A).await;
    assert_eq!(addresses(&out), ["192.0.2.40"]);
    attacker_never_asked(&r);
    assert_forged();
}

#[tokio::test]
async fn a_cname_loop_across_zones_ends_within_its_budget() {
    let r = world("loop.example. 300 CNAME loop.test.\n", b"cname-loop", |_, _, _| None);
    let out = r.resolve(&n("loop.example."), RType::A).await;
    assert_eq!(out.rcode, Rcode::SERVFAIL, "{out:?}");
    assert!(asked_lines(&r).len() < 40, "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn a_wildcard_expanded_nsec_cannot_deny_an_existing_name() {
    // The wildcard's NSEC and its signature, replayed under the name of an
    // existing host (a valid signature: RRSIG labels say "expanded") to
    // claim the host has no address.
    let r = world(
        "*.w.example. 300 TXT \"wild\"\nhost.w.example. 300 A 192.0.2.7\n",
        b"expanded-nsec",
        once(EXAMPLE, "host.w.example.", RType::A, |records| {
            let mut m = resp(true, Rcode::NOERROR, "", "", "");
            m.authority = rrset_of(records, &n("example."), RType::SOA);
            m.authority.extend(
                rrset_of(records, &n("*.w.example."), RType::NSEC)
                    .into_iter()
                    .map(|r| Record { owner: n("host.w.example."), ..r }),
            );
            m
        }),
    );
    let out = r.resolve(&n("host.w.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.7".to_owned()]));
    let again = r.resolve(&n("host.w.example."), RType::A).await;
    assert_eq!(addresses(&again), ["192.0.2.7"]);
    assert_forged();
}

#[tokio::test]
async fn a_replayed_nsec_that_covers_another_span_cannot_deny_a_name() {
    // A genuine NSEC of the zone, but not the one that covers the name.
    let r = world(
        "",
        b"replayed-nsec",
        once(EXAMPLE, "www.example.", RType::A, |records| {
            let mut m = authoritative(records, &n("nosuch.example."), RType::A);
            m.authority.retain(|rr| rr.owner == n("example.") || covered(rr) == RType::SOA);
            m
        }),
    );
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    let again = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!(addresses(&again), ["192.0.2.1"]);
    assert_forged();
}

#[tokio::test]
async fn a_foreign_denial_cannot_deny_a_signed_name() {
    // An NXDOMAIN for a signed name whose "proof" is test.'s unsigned NSEC
    // and SOA.
    let r = world(
        "",
        b"foreign-nsec",
        once(EXAMPLE, "www.example.", RType::A, |_| {
            resp(
                true,
                Rcode::NXDOMAIN,
                "",
                "test. 300 SOA ns.test. h.test. 1 2 3 4 300\na.test. 300 NSEC z.test. A NSEC\n",
                "",
            )
        }),
    );
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((out.security.clone(), addresses(&out)), (Security::Secure, vec!["192.0.2.1".to_owned()]));
    let out = r.resolve(&n("zzz.test."), RType::A).await;
    assert_eq!(out.rcode, Rcode::NXDOMAIN);
    assert!(asked_lines(&r).iter().any(|l| l == "127.0.0.4 zzz.test. A"), "test.'s NSEC was not kept");
    assert_forged();
}

#[tokio::test]
async fn the_insecure_parents_server_cannot_answer_for_the_anchored_zone() {
    // The root is unsigned; example. is anchored. A spoofed answer in the
    // root server's name for a name in example. is judged with example.'s
    // keys: unsigned, it is bogus, never insecure data.
    let r = world(
        "",
        b"island-answer",
        once(&["127.0.0.1"], "www.example.", RType::A, |_| {
            resp(true, Rcode::NOERROR, &format!("www.example. 300 A {EVIL}\n"), "", "")
        }),
    );
    // (Bogus data reaches only a CD=1 client, RFC 4035 §3.2.2.)
    let out = r.resolve(&n("www.example."), RType::A).await;
    assert!(matches!(out.security, Security::Bogus(_)), "{out:?}");
    let again = r.resolve(&n("www.example."), RType::A).await;
    let forged = addresses(&again).contains(&EVIL.to_owned());
    assert!(!forged || matches!(again.security, Security::Bogus(_)), "{again:?}");
    attacker_never_asked(&r);
    assert_forged();
}
