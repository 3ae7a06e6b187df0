//! The cache's unit tests.

use super::*;
use candor_wire::text::parse_zone;

use crate::cache::negative::PROOF_GROUPS;
use crate::failure::{Failure, FailureKind};

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn res(rcode: Rcode, answers: &str, authority: &str, security: Security) -> Resolution {
    Resolution {
        rcode,
        answers: parse_zone(answers, None).unwrap(),
        authority: parse_zone(authority, None).unwrap(),
        security,
        from_cache: false,
        additional: Vec::new(),
        stale: None,
    }
}

const S: Duration = Duration::from_secs(1);

/// An RRSIG over `owner`/`t` by example. with `labels` labels (fewer
/// than the owner's: a wildcard expansion).
fn sig(owner: &str, t: &str, labels: u8) -> String {
    format!("{owner} 300 RRSIG {t} 13 {labels} 300 2000000000 1000000000 1 example. AAAA\n")
}

#[test]
fn positive_answers_live_for_their_ttl_counted_down() {
    let c = Cache::new(CacheLimits::default());
    let r = res(Rcode::NOERROR, "a.example. 300 A 192.0.2.1\na.example. 100 A 192.0.2.2\n", "", Security::Secure);
    c.put(&n("A.example."), RType::A, &r, 10 * S, 0);
    let hit = c.get(&n("a.EXAMPLE."), RType::A, 40 * S).unwrap();
    assert!(hit.from_cache);
    assert_eq!(hit.answers.iter().map(|r| r.ttl).collect::<Vec<_>>(), [270, 70]);
    assert!(c.get(&n("a.example."), RType::A, 110 * S).is_none(), "gone after the smallest TTL");
    assert!(c.get(&n("a.example."), RType::AAAA, 40 * S).is_none());
    let st = c.stats();
    assert_eq!((st.hits, st.misses, st.entries, st.evictions), (1, 2, 1, 0), "kept to be served stale: {st:?}");
    // Without serve-stale an expired entry goes at once.
    let c = Cache::new(CacheLimits { serve_stale: None, ..CacheLimits::default() });
    c.put(&n("a.example."), RType::A, &r, 10 * S, 0);
    assert!(c.get(&n("a.example."), RType::A, 110 * S).is_none());
    assert_eq!(c.stats().entries, 0);
}

#[test]
fn stats_count_answers_and_rrsets_apart() {
    let c = Cache::new(CacheLimits::default());
    assert_eq!(c.stats(), CacheStats::default());
    let r = res(
        Rcode::NOERROR,
        &format!("a.example. 300 A 192.0.2.1\n{}", sig("a.example.", "A", 2)),
        "",
        Security::Secure,
    );
    c.put(&n("a.example."), RType::A, &r, S, 0);
    // The answer is one RRset: held once, as the answer, and found there
    // as the RRset too.
    let st = c.stats();
    assert_eq!((st.entries, st.rrsets), (1, 0), "{st:?}");
    assert!(st.answer_bytes > 40, "the owner and the records' data at least: {st:?}");
    assert_eq!(st.bytes, st.answer_bytes, "nothing else is held: {st:?}");
    let (records, security, _) = c.rrset(&n("a.example."), RType::A, 11 * S).unwrap();
    assert_eq!(security, Security::Secure);
    assert_eq!(records.iter().map(|r| r.ttl).collect::<Vec<_>>(), [290, 290], "counted down");
    // A chain's answer keeps its links apart: the CNAME and the target.
    let chain =
        format!("b.example. 300 CNAME a.example.\n{}{r}", sig("b.example.", "CNAME", 2), r = sig("a.example.", "A", 2));
    let chain = format!("{chain}a.example. 300 A 192.0.2.1\n");
    c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, &chain, "", Security::Secure), S, 0);
    let st = c.stats();
    assert_eq!((st.entries, st.rrsets), (2, 2), "{st:?}");
    assert_eq!(st.bytes, st.answer_bytes + st.rrset_bytes, "{st:?}");
    assert!(c.rrset(&n("b.example."), RType::CNAME, S).is_some());
    // Other answers are not RRsets of their question: a wildcard's
    // expansion, a CNAME's.
    assert!(c.rrset(&n("b.example."), RType::A, S).is_none());
    let expanded = format!("w.example. 300 A 192.0.2.7\n{}", sig("w.example.", "A", 1));
    c.put(&n("w.example."), RType::A, &res(Rcode::NOERROR, &expanded, "", Security::Secure), S, 0);
    assert!(c.rrset(&n("w.example."), RType::A, S).is_none());
}

#[test]
fn an_insecure_answer_to_its_own_question_leaves_a_secure_rrset_in_place() {
    let c = Cache::new(CacheLimits::default());
    // A secure chain's target kept as an RRset...
    let chain = format!(
        "b.example. 300 CNAME a.example.\n{}a.example. 300 A 192.0.2.1\n{}",
        sig("b.example.", "CNAME", 2),
        sig("a.example.", "A", 2)
    );
    c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, &chain, "", Security::Secure), S, 0);
    // ...then the target asked for itself, answered unsigned.
    let forged = "a.example. 300 A 203.0.113.66\n";
    c.put(&n("a.example."), RType::A, &res(Rcode::NOERROR, forged, "", Security::Insecure(None)), 2 * S, 0);
    let (records, security, _) = c.rrset(&n("a.example."), RType::A, 3 * S).unwrap();
    assert_eq!(security, Security::Secure, "{records:?}");
    // A secure answer to it replaces the older RRset.
    let signed = format!("a.example. 300 A 192.0.2.2\n{}", sig("a.example.", "A", 2));
    c.put(&n("a.example."), RType::A, &res(Rcode::NOERROR, &signed, "", Security::Secure), 4 * S, 0);
    let (records, security, _) = c.rrset(&n("a.example."), RType::A, 5 * S).unwrap();
    assert_eq!(security, Security::Secure);
    assert!(records.iter().any(|r| r.data.to_string() == "192.0.2.2"), "{records:?}");
}

#[test]
fn signatures_cap_the_ttl() {
    let c = Cache::new(CacheLimits::default());
    let r = res(
        Rcode::NOERROR,
        "a.example. 3600 A 192.0.2.1\na.example. 3600 RRSIG A 13 2 600 1000100 900000 1 example. AAAA\n",
        "",
        Security::Secure,
    );
    // Original TTL 600, but the signature expires 100 s after now.
    c.put(&n("a.example."), RType::A, &r, Duration::ZERO, 1_000_000);
    assert!(c.get(&n("a.example."), RType::A, 99 * S).is_some());
    assert!(c.get(&n("a.example."), RType::A, 101 * S).is_none());
}

#[test]
fn negative_bogus_and_servfail_lifetimes() {
    let c = Cache::new(CacheLimits::default());
    let soa = "example. 3600 SOA ns.example. h.example. 1 2 3 4 300\n";
    c.put(&n("x.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Secure), Duration::ZERO, 0);
    assert!(c.get(&n("x.example."), RType::A, 299 * S).is_some());
    assert!(c.get(&n("x.example."), RType::A, 301 * S).is_none(), "SOA minimum (RFC 2308)");
    let f = Failure::new(FailureKind::SignatureExpired, n("example."), 0);
    c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, "", "", Security::bogus(f.clone())), Duration::ZERO, 0);
    let hit = c.get(&n("b.example."), RType::A, 59 * S).unwrap();
    // The cached verdict says how old it is and when it goes.
    let cached = f.clone().with(crate::evidence::Evidence::Cached { age: 59, retry: 1 });
    assert_eq!(hit.security, Security::bogus(cached.clone()));
    // Kept again as it came from the cache (a CNAME link's verdict inside
    // a chain), it still says its age once.
    c.put(&n("c.example."), RType::A, &res(Rcode::NOERROR, "", "", Security::bogus(cached)), Duration::ZERO, 0);
    let hit = c.get(&n("c.example."), RType::A, 10 * S).unwrap();
    let Security::Bogus(f) = hit.security else { panic!("{:?}", hit.security) };
    assert_eq!(f.evidence, [crate::evidence::Evidence::Cached { age: 10, retry: 50 }]);
    assert!(c.get(&n("b.example."), RType::A, 61 * S).is_none());
    c.put(&n("s.example."), RType::A, &res(Rcode::SERVFAIL, "", "", Security::Servfail(f)), Duration::ZERO, 0);
    assert!(c.get(&n("s.example."), RType::A, 4 * S).is_some());
    assert!(c.get(&n("s.example."), RType::A, 6 * S).is_none());
}

#[test]
fn a_secure_nxdomain_covers_the_names_below_it() {
    let c = Cache::new(CacheLimits::default());
    let soa = "example. 3600 SOA ns.example. h.example. 1 2 3 4 300\n";
    c.put(&n("x.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Secure), Duration::ZERO, 0);
    let (r, left) = c.nxdomain_above(&n("a.b.X.example."), 10 * S).unwrap();
    assert_eq!((r.rcode, r.from_cache, left), (Rcode::NXDOMAIN, true, 290 * S));
    assert!(c.nxdomain_above(&n("x.example."), 10 * S).is_some(), "any type of the name itself");
    assert!(c.nxdomain_above(&n("y.example."), 10 * S).is_none());
    assert!(c.nxdomain_above(&n("a.x.example."), 301 * S).is_none(), "not past its lifetime");
    // Insecure NXDOMAINs prove nothing below them.
    c.put(&n("i.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Insecure(None)), Duration::ZERO, 0);
    assert!(c.nxdomain_above(&n("a.i.example."), S).is_none());
    c.flush(&n("example."), true);
    assert!(c.nxdomain_above(&n("a.x.example."), S).is_none(), "flushed");
}

#[test]
fn answer_rrsets_are_kept_on_their_own_with_their_verdict() {
    let c = Cache::new(CacheLimits::default());
    let answers = format!(
        "a.example. 300 CNAME b.example.\n{}b.example. 300 A 192.0.2.1\n{}x.w.example. 300 A 192.0.2.9\n{}",
        sig("a.example.", "CNAME", 2),
        sig("b.example.", "A", 2),
        sig("x.w.example.", "A", 2 /* expanded from *.w.example. */),
    );
    c.put(&n("a.example."), RType::A, &res(Rcode::NOERROR, &answers, "", Security::Secure), Duration::ZERO, 0);
    let (cname, secure, left) = c.rrset(&n("A.example."), RType::CNAME, 10 * S).unwrap();
    assert!(secure == Security::Secure && left == 290 * S);
    assert_eq!(cname.len(), 2, "the CNAME and its RRSIG");
    assert!(cname.iter().all(|r| r.ttl == 290));
    assert!(c.rrset(&n("b.example."), RType::A, 10 * S).is_some());
    assert!(c.rrset(&n("x.w.example."), RType::A, 10 * S).is_none(), "wildcard expansion");
    assert!(c.rrset(&n("b.example."), RType::A, 301 * S).is_none(), "expired");

    // A DNAME is kept, the unsigned CNAME it synthesised is not.
    let answers = format!(
        "d.example. 300 DNAME example.net.\n{}q.d.example. 300 CNAME q.example.net.\n",
        sig("d.example.", "DNAME", 2)
    );
    c.put(&n("q.d.example."), RType::CNAME, &res(Rcode::NOERROR, &answers, "", Security::Secure), Duration::ZERO, 0);
    assert!(c.rrset(&n("d.example."), RType::DNAME, S).is_some());
    assert!(c.rrset(&n("q.d.example."), RType::CNAME, S).is_none());

    // Of an insecure answer only the unsigned RRsets (surely insecure);
    // bogus answers leave nothing.
    let answers = format!(
        "s.example. 300 CNAME u.example.org.\n{}u.example.org. 300 A 192.0.2.7\n",
        sig("s.example.", "CNAME", 2)
    );
    c.put(&n("s.example."), RType::A, &res(Rcode::NOERROR, &answers, "", Security::Insecure(None)), Duration::ZERO, 0);
    assert!(c.rrset(&n("s.example."), RType::CNAME, S).is_none());
    assert_eq!(c.rrset(&n("u.example.org."), RType::A, S).unwrap().1, Security::Insecure(None));
    let f = Failure::new(FailureKind::SignatureInvalid, n("example."), 0);
    c.put(
        &n("v.example."),
        RType::A,
        &res(Rcode::NOERROR, "v.example. 300 A 192.0.2.8\n", "", Security::bogus(f)),
        Duration::ZERO,
        0,
    );
    assert!(c.rrset(&n("v.example."), RType::A, S).is_none());
    c.flush(&n("example."), true);
    assert!(c.rrset(&n("a.example."), RType::CNAME, S).is_none(), "flushed");
    assert!(c.rrset(&n("u.example.org."), RType::A, S).is_some(), "outside the flushed zone");
}

#[test]
fn a_non_minimal_answers_ns_rrset_and_addresses_are_kept_for_referrals() {
    let c = Cache::new(CacheLimits::default());
    let mut r = res(
        Rcode::NOERROR,
        &format!("www.example. 300 A 192.0.2.1\n{}", sig("www.example.", "A", 2)),
        &format!(
            "example. 300 NS ns.example.\n{}example. 300 SOA ns.example. h.example. 1 2 3 4 5\n{}",
            sig("example.", "NS", 1),
            sig("example.", "SOA", 1)
        ),
        Security::Secure,
    );
    r.additional = parse_zone(&format!("ns.example. 300 A 192.0.2.53\n{}", sig("ns.example.", "A", 2)), None).unwrap();
    c.put(&n("www.example."), RType::A, &r, Duration::ZERO, 0);
    assert!(c.rrset(&n("example."), RType::NS, S).is_some_and(|(_, security, _)| security == Security::Secure));
    assert!(c.rrset(&n("ns.example."), RType::A, S).is_some());
    assert!(c.rrset(&n("example."), RType::SOA, S).is_none(), "only NS from the authority section");
}

#[test]
fn capacity_evicts_and_flush_drops() {
    let c = Cache::new(CacheLimits { capacity: SHARDS, ..CacheLimits::default() });
    for i in 0..200 {
        let name = format!("h{i}.example.");
        c.put(
            &n(&name),
            RType::A,
            &res(Rcode::NOERROR, &format!("{name} 300 A 192.0.2.1\n"), "", Security::Secure),
            Duration::ZERO,
            0,
        );
    }
    let st = c.stats();
    assert!(st.entries <= SHARDS as u64 && st.evictions >= 200 - SHARDS as u64, "{st:?}");
    c.flush(&n("example."), true);
    assert_eq!(c.stats().entries, 0);
}

#[test]
fn denial_groups_live_for_their_signed_ttl_and_go_with_a_flush() {
    let c = Cache::new(CacheLimits::default());
    let group =
        |owner: &str| parse_zone(&format!("{owner} 60 NSEC z.example. NS\n{}", sig(owner, "NSEC", 2)), None).unwrap();
    c.learn_proofs(&n("example."), group("a.example."), Duration::ZERO, 1_500_000_000);
    c.learn_proofs(&n("example."), group("b.example."), Duration::ZERO, 1_500_000_000);
    // The same group again is kept once; newest first.
    c.learn_proofs(&n("example."), group("a.example."), S, 1_500_000_000);
    let got = c.proofs(&n("Example."), 2 * S);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0][0].owner, n("a.example."));
    assert!(c.proofs(&n("other."), S).is_empty());
    // Expired after the records' TTL (60 s) counted from when each was kept.
    assert_eq!(c.proofs(&n("example."), 60 * S).len(), 1);
    assert!(c.proofs(&n("example."), 61 * S).is_empty());
    // At most PROOF_GROUPS per zone; a flush of the zone drops them.
    for i in 0..PROOF_GROUPS + 3 {
        c.learn_proofs(&n("example."), group(&format!("n{i}.example.")), 100 * S, 1_500_000_000);
    }
    assert_eq!(c.proofs(&n("example."), 100 * S).len(), PROOF_GROUPS);
    c.flush(&n("example."), true);
    assert!(c.proofs(&n("example."), 100 * S).is_empty());
    // Off with aggressive use.
    let off = Cache::new(CacheLimits { aggressive_nsec: false, ..CacheLimits::default() });
    off.learn_proofs(&n("example."), group("a.example."), Duration::ZERO, 1_500_000_000);
    assert!(off.proofs(&n("example."), S).is_empty());
}

#[test]
fn a_referrals_ds_rrset_is_kept_with_its_signatures() {
    let c = Cache::new(CacheLimits::default());
    let ds = parse_zone(&format!("sub.example. 120 DS 1 13 2 AABB\n{}", sig("sub.example.", "DS", 2)), None).unwrap();
    c.keep_rrset(&ds, Security::Secure, Duration::ZERO, 1_500_000_000);
    let (records, secure, left) = c.rrset(&n("sub.example."), RType::DS, 20 * S).unwrap();
    assert_eq!((records.len(), secure, left), (2, Security::Secure, 100 * S));
    assert!(c.rrset(&n("sub.example."), RType::DS, 120 * S).is_none());
}

#[test]
fn an_insecure_answer_never_replaces_a_secure_rrset() {
    let c = Cache::new(CacheLimits::default());
    let signed = format!("a.example. 300 A 192.0.2.1\n{}", sig("a.example.", "A", 2));
    c.put(&n("a.example."), RType::A, &res(Rcode::NOERROR, &signed, "", Security::Secure), Duration::ZERO, 0);
    // An insecure answer for another question carries an unsigned record
    // for the same name (an opt-out span, an unsigned parent).
    let forged = "b.example. 300 CNAME a.example.\na.example. 300 A 203.0.113.66\n";
    c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, forged, "", Security::Insecure(None)), 10 * S, 0);
    let (records, security, _) = c.rrset(&n("a.example."), RType::A, 20 * S).unwrap();
    assert_eq!(security, Security::Secure);
    assert!(records.iter().any(|r| r.data.to_string() == "192.0.2.1"), "{records:?}");
    // Once the secure entry has run out, the insecure one may take its place.
    c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, forged, "", Security::Insecure(None)), 400 * S, 0);
    assert_eq!(c.rrset(&n("a.example."), RType::A, 410 * S).unwrap().1, Security::Insecure(None));
}

#[test]
fn the_caches_hold_their_memory_budget_and_push_out_the_oldest_not_everything() {
    let memory = 2 << 20;
    let c = Cache::new(CacheLimits { memory, ..CacheLimits::default() });
    let big = "x".repeat(250);
    for i in 0..20_000 {
        let owner = format!("n{i}.example.");
        let r = res(Rcode::NOERROR, &format!("{owner} 300 TXT \"{big}\"\n"), "", Security::Insecure(None));
        c.put(&n(&owner), RType::TXT, &r, S, 0);
        // Secure NXDOMAINs (a map that was cleared whole when full).
        let nx = res(Rcode::NXDOMAIN, "", "example. 300 SOA ns.example. h.example. 1 2 3 4 300\n", Security::Secure);
        c.put(&n(&format!("nx{i}.example.")), RType::A, &nx, S, 0);
    }
    let st = c.stats();
    assert!(st.bytes as usize <= memory, "{} bytes held, budget {memory}", st.bytes);
    let answers = MemoryShares::of(memory, MemoryShares::ANSWERS);
    assert!(st.answer_bytes as usize > answers * 9 / 10, "the answers' share is used: {st:?}");
    assert!(st.evictions > 0);
    // The newest are there, the oldest went; the NXDOMAIN map kept its
    // newest names instead of starting afresh.
    assert!(c.get(&n("n19999.example."), RType::TXT, 2 * S).is_some());
    assert!(c.get(&n("n0.example."), RType::TXT, 2 * S).is_none());
    assert!(c.nxdomain_above(&n("a.nx19999.example."), 2 * S).is_some());
    assert!(c.nxdomain_above(&n("a.nx0.example."), 2 * S).is_none());
}
