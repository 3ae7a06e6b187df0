//! candor-denial on RFC 5155 appendix B (../shared/vectors): each response's
//! RRSIGs are verified first (as the validator will), then its denial is
//! proven at the vectors' time.

mod common;

use candor_crypto::{Policy, PublicKey, RING, key_tag, nsec3_hash, verify_rrsig};
use candor_denial::{BudgetHasher, DenialError, Limits, Proof, no_ds, nodata, nxdomain, wildcard_answer};
use candor_wire::text::parse_zone;
use candor_wire::{Name, RData, RType, Record};

const NOW: u64 = 1_262_304_000;

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn zone_records() -> Vec<Record> {
    let text = std::fs::read_to_string(common::shared().join("vectors/rfc5155-zone.txt")).unwrap();
    parse_zone(&text, Some(&n("example."))).unwrap()
}

/// The response blocks of appendix B: (title, records).
fn responses() -> Vec<(String, Vec<Record>)> {
    let text = std::fs::read_to_string(common::shared().join("vectors/rfc5155-responses.txt")).unwrap();
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("; ---- BEGIN ") {
            current = Some((title.to_owned(), "$TTL 3600\n".to_owned()));
        } else if line.starts_with("; ---- END") {
            let (title, body) = current.take().unwrap();
            let records = parse_zone(&body, None).unwrap_or_else(|e| panic!("{title}: {e}"));
            out.push((title, records));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    assert_eq!(out.len(), 7);
    out
}

/// Verify every RRSIG of the response with the zone's keys, then return
/// the records that are not RRSIGs.
fn checked(title: &str, records: &[Record], zone: &[Record]) -> Vec<Record> {
    let mut verified = 0;
    for r in records {
        let RData::Rrsig(sig) = &r.data else { continue };
        let rrset: Vec<Record> =
            records.iter().filter(|x| x.owner == r.owner && x.rtype() == sig.type_covered).cloned().collect();
        let key = zone
            .iter()
            .find_map(|k| match &k.data {
                RData::Dnskey(d) if key_tag(d) == sig.key_tag => Some(d.clone()),
                _ => None,
            })
            .unwrap();
        let public = PublicKey::from_dnskey(&key, Policy::LEGACY).unwrap();
        verify_rrsig(&rrset, sig, &n("example."), &key, &public, NOW, &RING)
            .unwrap_or_else(|e| panic!("{title}: {} {}: {e}", r.owner, sig.type_covered));
        verified += 1;
    }
    assert!(verified > 0, "{title}");
    records.iter().filter(|r| r.rtype() != RType::RRSIG).cloned().collect()
}

fn hasher() -> BudgetHasher<impl FnMut(&Name, &[u8], u16) -> [u8; 20]> {
    BudgetHasher::new(nsec3_hash, 10_000)
}

fn block<'a>(all: &'a [(String, Vec<Record>)], id: &str) -> &'a [Record] {
    &all.iter().find(|(t, _)| t.starts_with(id)).unwrap().1
}

/// The same records with the opt-out flag cleared on every NSEC3 (after
/// their signatures were checked), to see the proof logic apart from opt-out.
fn without_opt_out(records: &[Record]) -> Vec<Record> {
    records
        .iter()
        .cloned()
        .map(|mut r| {
            if let RData::Nsec3(n3) = &mut r.data {
                n3.flags = 0;
            }
            r
        })
        .collect()
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn appendix_b_responses_are_proven() {
    let zone = zone_records();
    let all = responses();
    let apex = n("example.");
    let lim = Limits::default();
    let checked = |id: &str| checked(id, block(&all, id), &zone);

    // B.1: every NSEC3 of the example zone has opt-out set, so the next
    // closer name c.x.w.example. may be an unsigned delegation: insecure,
    // as Unbound has it. Without opt-out, the same records prove NXDOMAIN.
    let b1 = checked("B.1 ");
    assert_eq!(nxdomain(&n("a.c.x.w.example."), &apex, &b1, &mut hasher(), &lim), Ok(Proof::OptOut));
    assert_eq!(
        nxdomain(&n("a.c.x.w.example."), &apex, &without_opt_out(&b1), &mut hasher(), &lim),
        Ok(Proof::NxDomain { closest_encloser: n("x.w.example.") })
    );

    let b2 = checked("B.2 ");
    assert_eq!(nodata(&n("ns1.example."), RType::MX, &apex, &b2, &mut hasher(), &lim), Ok(Proof::NoData));
    assert_eq!(
        nodata(&n("ns1.example."), RType::A, &apex, &b2, &mut hasher(), &lim),
        Err(DenialError::BitmapHasType { owner: n("ns1.example."), rtype: RType::A })
    );

    let b21 = checked("B.2.1");
    assert_eq!(nodata(&n("y.w.example."), RType::A, &apex, &b21, &mut hasher(), &lim), Ok(Proof::NoData));

    let b3 = checked("B.3 ");
    assert_eq!(no_ds(&n("c.example."), &apex, &b3, &mut hasher(), &lim), Ok(Proof::OptOut));
    assert_eq!(
        no_ds(&n("c.example."), &apex, &without_opt_out(&b3), &mut hasher(), &lim),
        Err(DenialError::NoMatch { name: n("c.example.") })
    );

    let b4 = checked("B.4 ");
    let labels = b4_labels(block(&all, "B.4 "));
    assert_eq!(labels, 2);
    // B.4 and B.5 as B.1: the next closer name z.w.example. lies in an
    // opt-out span, so the expansion is not proven (Unbound and Knot call
    // both insecure: the replay scenarios val_nsec3_b4_wild and
    // val_nsec3_b5_wcnodata); with opt-out cleared, the proofs hold.
    assert_eq!(wildcard_answer(&n("a.z.w.example."), labels, &apex, &b4, &mut hasher(), &lim), Ok(Proof::OptOut));
    assert_eq!(
        wildcard_answer(&n("a.z.w.example."), labels, &apex, &without_opt_out(&b4), &mut hasher(), &lim),
        Ok(Proof::WildcardAnswer)
    );

    let b5 = checked("B.5 ");
    assert_eq!(nodata(&n("a.z.w.example."), RType::AAAA, &apex, &b5, &mut hasher(), &lim), Ok(Proof::OptOut));
    assert_eq!(
        nodata(&n("a.z.w.example."), RType::AAAA, &apex, &without_opt_out(&b5), &mut hasher(), &lim),
        Ok(Proof::WildcardNoData { wildcard: n("*.w.example.") })
    );
    assert_eq!(
        nodata(&n("a.z.w.example."), RType::MX, &apex, &b5, &mut hasher(), &lim),
        Err(DenialError::BitmapHasType { owner: n("*.w.example."), rtype: RType::MX })
    );

    let b6 = checked("B.6 ");
    assert_eq!(nodata(&n("example."), RType::DS, &apex, &b6, &mut hasher(), &lim), Ok(Proof::NoData));
}

/// The RRSIG labels field of the synthesised MX answer.
fn b4_labels(records: &[Record]) -> u8 {
    records
        .iter()
        .find_map(|r| match &r.data {
            RData::Rrsig(s) if s.type_covered == RType::MX => Some(s.labels),
            _ => None,
        })
        .unwrap()
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn damaged_appendix_b_responses_fail_with_their_reason() {
    let zone = zone_records();
    let all = responses();
    let apex = n("example.");
    let lim = Limits::default();
    let b1 = without_opt_out(&checked("B.1", block(&all, "B.1 "), &zone));
    let q = n("a.c.x.w.example.");

    // Drop each NSEC3 in turn: the proof breaks, naming what is missing.
    let nsec3: Vec<usize> = (0..b1.len()).filter(|&i| b1[i].rtype() == RType::NSEC3).collect();
    assert_eq!(nsec3.len(), 3);
    let mut reasons = Vec::new();
    for &i in &nsec3 {
        let mut less = b1.clone();
        less.remove(i);
        reasons.push(nxdomain(&q, &apex, &less, &mut hasher(), &lim).unwrap_err().to_string());
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "next closer name c.x.w.example. (hash 0va5bpr2ou0vk0lbqeeljri88laipsfh) not covered",
            // Without x.w.example.'s own NSEC3 the walk reaches the apex,
            // whose child w.example. exists and so is covered by nothing.
            "next closer name w.example. (hash k8udemvp1j2f7eg6jebps17vp3n8i58h) not covered",
            "wildcard *.x.w.example. not denied",
        ]
    );

    // Salts that disagree.
    let mut mixed = b1.clone();
    if let RData::Nsec3(n3) = &mut mixed[nsec3[0]].data {
        n3.salt = vec![1, 2, 3, 4];
    }
    assert_eq!(nxdomain(&q, &apex, &mixed, &mut hasher(), &lim), Err(DenialError::ParameterMismatch));
    assert_eq!(
        DenialError::ParameterMismatch.to_string(),
        "NSEC3 records in this response disagree on salt/iterations"
    );

    // Iterations over the cap: insecure (EDE 27), whatever the chain says.
    let capped = Limits { max_iterations: 10 };
    let p = nxdomain(&q, &apex, &b1, &mut hasher(), &capped).unwrap();
    assert!(p.is_insecure());
    assert_eq!(p, Proof::Insecure(candor_denial::Insecure::IterationsAboveCap { iterations: 12, cap: 10 }));

    // A budget too small for the proof is a failure, not a stall.
    let mut tiny = BudgetHasher::new(nsec3_hash, 20);
    let err = nxdomain(&q, &apex, &b1, &mut tiny, &lim).unwrap_err();
    assert_eq!(err, DenialError::HashBudget { limit: 20 });
    assert_eq!(err.ede_code(), 6);
    assert_eq!(DenialError::ParameterMismatch.ede_code(), 12);
}
