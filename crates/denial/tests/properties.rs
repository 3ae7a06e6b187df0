//! Property tests on generated zones: with a complete NSEC or NSEC3 chain,
//! every absent name gets an NXDOMAIN proof and no present name does; and
//! removing one record breaks exactly the proofs that cite it.

use std::collections::BTreeSet;

use candor_crypto::nsec3_hash;
use candor_denial::{BudgetHasher, DenialError, Limits, Proof, no_ds, nodata, nxdomain, wildcard_answer};
use candor_wire::text::base32hex_encode;
use candor_wire::{Name, Nsec, Nsec3, RData, RType, Record, TypeBitmap};
use proptest::prelude::*;

const LABELS: [&str; 4] = ["a", "b", "c", "d"];

fn zone() -> Name {
    "z.".parse().unwrap()
}

/// Every name of depth 1 to 3 below the zone over the small alphabet.
fn universe() -> Vec<Name> {
    let mut out = Vec::new();
    let z = zone();
    for a in LABELS {
        let n1 = z.prepend(a.as_bytes()).unwrap();
        out.push(n1.clone());
        for b in LABELS {
            let n2 = n1.prepend(b.as_bytes()).unwrap();
            out.push(n2.clone());
            for c in LABELS {
                out.push(n2.prepend(c.as_bytes()).unwrap());
            }
        }
    }
    out
}

/// Names with data, chosen from the universe.
fn data_names() -> impl Strategy<Value = BTreeSet<Name>> {
    proptest::sample::subsequence(universe(), 1..10).prop_map(|v| v.into_iter().collect())
}

/// Names that exist: the apex, the data names and the empty non-terminals above them.
fn existing(data: &BTreeSet<Name>) -> BTreeSet<Name> {
    let z = zone();
    let mut all = BTreeSet::from([z.clone()]);
    for n in data {
        for a in n.ancestors() {
            if a.is_subdomain_of(&z) {
                all.insert(a);
            }
        }
    }
    all
}

fn types(apex: bool) -> TypeBitmap {
    if apex {
        TypeBitmap::new([RType::SOA, RType::NS, RType::RRSIG, RType::NSEC, RType::DNSKEY])
    } else {
        TypeBitmap::new([RType::A, RType::RRSIG, RType::NSEC])
    }
}

/// The NSEC chain over the apex and the data names (NSEC skips ENTs).
fn nsec_chain(data: &BTreeSet<Name>) -> Vec<Record> {
    let z = zone();
    let mut owners: Vec<Name> = data.iter().cloned().collect();
    owners.push(z.clone());
    owners.sort();
    (0..owners.len())
        .map(|i| {
            let next = owners[(i + 1) % owners.len()].clone();
            Record::new(owners[i].clone(), 300, RData::Nsec(Nsec { next, types: types(owners[i] == z) }))
        })
        .collect()
}

/// The NSEC3 chain over every existing name (ENTs included).
fn nsec3_chain(data: &BTreeSet<Name>, salt: &[u8], iterations: u16) -> Vec<Record> {
    let z = zone();
    let mut hashed: Vec<([u8; 20], bool, bool)> =
        existing(data).iter().map(|n| (nsec3_hash(n, salt, iterations), *n == z, data.contains(n))).collect();
    hashed.sort();
    (0..hashed.len())
        .map(|i| {
            let (h, apex, has_data) = hashed[i];
            let next = hashed[(i + 1) % hashed.len()].0;
            let owner = z.prepend(base32hex_encode(&h).to_lowercase().as_bytes()).unwrap();
            let t = if apex || has_data { types(apex) } else { TypeBitmap::default() };
            let rd = Nsec3 {
                hash_algorithm: 1,
                flags: 0,
                iterations,
                salt: salt.to_vec(),
                next_hashed: next.to_vec(),
                types: t,
            };
            Record::new(owner, 300, RData::Nsec3(rd))
        })
        .collect()
}

fn prove(q: &Name, records: &[Record]) -> Result<Proof, candor_denial::DenialError> {
    let mut h = BudgetHasher::new(nsec3_hash, 100_000);
    nxdomain(q, &zone(), records, &mut h, &Limits::default())
}

/// The deepest existing ancestor of `q`.
fn closest_encloser(q: &Name, exists: &BTreeSet<Name>) -> Name {
    q.ancestors().find(|a| exists.contains(a)).unwrap()
}

/// Index of the NSEC whose owner is the last one before `name` in canonical order.
fn nsec_predecessor(chain: &[Record], name: &Name) -> usize {
    let mut best = chain.len() - 1; // wraps to the last NSEC
    for (i, r) in chain.iter().enumerate() {
        if r.owner < *name {
            best = i;
        }
    }
    best
}

/// Index of the NSEC3 whose span holds `hash`.
fn nsec3_predecessor(chain: &[Record], hash: &[u8; 20]) -> usize {
    let label = |r: &Record| String::from_utf8(r.owner.first_label().unwrap().to_vec()).unwrap();
    let want = base32hex_encode(hash).to_lowercase();
    let mut best = chain.len() - 1;
    for (i, r) in chain.iter().enumerate() {
        if label(r) < want {
            best = i;
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nsec_chains(data in data_names()) {
        let exists = existing(&data);
        let chain = nsec_chain(&data);
        for q in universe() {
            if exists.contains(&q) {
                prop_assert!(prove(&q, &chain).is_err(), "present {q} denied");
                continue;
            }
            let ce = closest_encloser(&q, &exists);
            prop_assert_eq!(prove(&q, &chain), Ok(Proof::NxDomain { closest_encloser: ce.clone() }), "{}", q);
            let cited: BTreeSet<usize> =
                [nsec_predecessor(&chain, &q), nsec_predecessor(&chain, &ce.wildcard().unwrap())].into();
            for i in 0..chain.len() {
                let mut less = chain.clone();
                less.remove(i);
                prop_assert_eq!(prove(&q, &less).is_err(), cited.contains(&i), "{} without {}", q, chain[i].owner);
            }
        }
        // NODATA for a type the data names lack; an ENT is NODATA too.
        for n in &exists {
            let mut h = BudgetHasher::new(nsec3_hash, 100_000);
            let p = nodata(n, RType::TXT, &zone(), &chain, &mut h, &Limits::default());
            if data.contains(n) || *n == zone() {
                prop_assert_eq!(p, Ok(Proof::NoData));
            } else {
                prop_assert_eq!(p, Ok(Proof::EmptyNonTerminal));
            }
        }
    }

    #[test]
    fn nsec3_chains(data in data_names(), salt in proptest::collection::vec(any::<u8>(), 0..8), iterations in 0u16..=10) {
        let exists = existing(&data);
        let chain = nsec3_chain(&data, &salt, iterations);
        for q in universe() {
            if exists.contains(&q) {
                prop_assert!(prove(&q, &chain).is_err(), "present {q} denied");
                continue;
            }
            let ce = closest_encloser(&q, &exists);
            prop_assert_eq!(prove(&q, &chain), Ok(Proof::NxDomain { closest_encloser: ce.clone() }), "{}", q);
            let next_closer = q.trim_to(ce.label_count() + 1);
            let matching = chain
                .iter()
                .position(|r| r.owner.first_label().unwrap()
                    == base32hex_encode(&nsec3_hash(&ce, &salt, iterations)).to_lowercase().as_bytes())
                .unwrap();
            let cited: BTreeSet<usize> = [
                matching,
                nsec3_predecessor(&chain, &nsec3_hash(&next_closer, &salt, iterations)),
                nsec3_predecessor(&chain, &nsec3_hash(&ce.wildcard().unwrap(), &salt, iterations)),
            ]
            .into();
            for i in 0..chain.len() {
                let mut less = chain.clone();
                less.remove(i);
                prop_assert_eq!(prove(&q, &less).is_err(), cited.contains(&i), "{} without {}", q, chain[i].owner);
            }
        }
        for n in &exists {
            let mut h = BudgetHasher::new(nsec3_hash, 100_000);
            prop_assert_eq!(nodata(n, RType::TXT, &zone(), &chain, &mut h, &Limits::default()), Ok(Proof::NoData));
        }
    }
}

#[test]
fn nsec3_gap_is_rejected_with_its_own_message() {
    let data: BTreeSet<Name> = ["a.z.", "b.a.z.", "c.z."].iter().map(|s| s.parse().unwrap()).collect();
    let mut chain = nsec3_chain(&data, &[0xab], 1);
    // Shorten one span so that a hash falls in the gap after it.
    let q: Name = "d.d.z.".parse().unwrap();
    let i = nsec3_predecessor(&chain, &nsec3_hash(&q.trim_to(2), &[0xab], 1));
    // Next = the owner's own hash + 1: the span now covers almost nothing.
    let mut h = base32hex_decode_label(&chain[i].owner);
    h[19] = h[19].wrapping_add(1);
    if let RData::Nsec3(n3) = &mut chain[i].data {
        n3.next_hashed = h.to_vec();
    }
    let err = prove(&q, &chain).unwrap_err().to_string();
    assert!(err.starts_with("next closer name d.z. (hash "), "{err}");
    assert!(err.ends_with(") not covered"), "{err}");
}

fn base32hex_decode_label(owner: &Name) -> [u8; 20] {
    let label = std::str::from_utf8(owner.first_label().unwrap()).unwrap();
    candor_wire::text::base32hex_decode(label).unwrap().try_into().unwrap()
}

/// A hand-made NSEC zone: z. with a wildcard, a delegation and a DNAME.
fn rules_zone() -> Vec<Record> {
    let z = zone();
    let n = |s: &str| -> Name { s.parse().unwrap() };
    let entries: [(&str, &[RType]); 6] = [
        ("z.", &[RType::SOA, RType::NS, RType::RRSIG, RType::NSEC, RType::DNSKEY]),
        ("d.z.", &[RType::DNAME, RType::RRSIG, RType::NSEC]),
        ("del.z.", &[RType::NS, RType::RRSIG, RType::NSEC]),
        ("sec.z.", &[RType::NS, RType::DS, RType::RRSIG, RType::NSEC]),
        ("*.w.z.", &[RType::TXT, RType::RRSIG, RType::NSEC]),
        ("www.z.", &[RType::A, RType::RRSIG, RType::NSEC]),
    ];
    let mut owners: Vec<(Name, TypeBitmap)> =
        entries.iter().map(|(o, t)| (n(o), TypeBitmap::new(t.iter().copied()))).collect();
    owners.sort_by(|a, b| a.0.cmp(&b.0));
    (0..owners.len())
        .map(|i| {
            let next = if i + 1 < owners.len() { owners[i + 1].0.clone() } else { z.clone() };
            Record::new(owners[i].0.clone(), 300, RData::Nsec(Nsec { next, types: owners[i].1.clone() }))
        })
        .collect()
}

#[test]
fn nsec_rules() {
    let chain = rules_zone();
    let n = |s: &str| -> Name { s.parse().unwrap() };
    let z = zone();
    let lim = Limits::default();
    let mut h = BudgetHasher::new(nsec3_hash, 1000);
    // Names below a delegation or a DNAME cannot be denied by its NSEC.
    assert_eq!(nxdomain(&n("x.del.z."), &z, &chain, &mut h, &lim), Err(DenialError::ParentSide { owner: n("del.z.") }));
    assert_eq!(
        DenialError::ParentSide { owner: n("del.z.") }.to_string(),
        "NSEC from the parent side of a delegation at del.z. cannot deny names below it"
    );
    assert_eq!(nxdomain(&n("x.d.z."), &z, &chain, &mut h, &lim), Err(DenialError::BelowDname { owner: n("d.z.") }));
    // Bitmaps.
    let err = nodata(&n("www.z."), RType::A, &z, &chain, &mut h, &lim).unwrap_err();
    assert_eq!(err.to_string(), "type bitmap at www.z. contains A");
    assert_eq!(nodata(&n("www.z."), RType::MX, &z, &chain, &mut h, &lim), Ok(Proof::NoData));
    // At a delegation: only DS can be denied, and from the parent side.
    assert_eq!(
        nodata(&n("del.z."), RType::A, &z, &chain, &mut h, &lim),
        Err(DenialError::ParentSide { owner: n("del.z.") })
    );
    assert_eq!(nodata(&n("del.z."), RType::DS, &z, &chain, &mut h, &lim), Ok(Proof::NoData));
    assert_eq!(no_ds(&n("del.z."), &z, &chain, &mut h, &lim), Ok(Proof::NoDs));
    assert_eq!(
        no_ds(&n("sec.z."), &z, &chain, &mut h, &lim),
        Err(DenialError::BitmapHasType { owner: n("sec.z."), rtype: RType::DS })
    );
    assert_eq!(no_ds(&n("www.z."), &z, &chain, &mut h, &lim), Err(DenialError::NotADelegation { name: n("www.z.") }));
    assert_eq!(no_ds(&z, &z, &chain, &mut h, &lim), Err(DenialError::NotADelegation { name: z.clone() }));
    // Wildcards: an answer for a.w.z. (labels 2) has no closer match; the
    // wildcard itself makes NXDOMAIN below w.z. impossible.
    assert_eq!(wildcard_answer(&n("a.w.z."), 2, &z, &chain, &mut h, &lim), Ok(Proof::WildcardAnswer));
    assert_eq!(
        nxdomain(&n("a.w.z."), &z, &chain, &mut h, &lim),
        Err(DenialError::WildcardExists { wildcard: n("*.w.z."), name: n("a.w.z.") })
    );
    assert_eq!(
        nodata(&n("a.w.z."), RType::A, &z, &chain, &mut h, &lim),
        Ok(Proof::WildcardNoData { wildcard: n("*.w.z.") })
    );
    assert_eq!(
        nodata(&n("a.w.z."), RType::TXT, &z, &chain, &mut h, &lim),
        Err(DenialError::BitmapHasType { owner: n("*.w.z."), rtype: RType::TXT })
    );
    // A wildcard answer claimed for www.z. (labels 1) while www.z. exists.
    assert!(matches!(
        wildcard_answer(&n("x.www.z."), 1, &z, &chain, &mut h, &lim),
        Err(DenialError::CloserMatch { .. })
    ));
    // NXDOMAIN needs the wildcard denied: drop the NSEC that covers *.z.
    let nx = n("nope.z.");
    assert!(matches!(nxdomain(&nx, &z, &chain, &mut h, &lim), Ok(Proof::NxDomain { .. })));
    let without_apex: Vec<Record> = chain.iter().filter(|r| r.owner != z).cloned().collect();
    assert_eq!(
        nxdomain(&nx, &z, &without_apex, &mut h, &lim),
        Err(DenialError::WildcardNotDenied { wildcard: n("*.z.") })
    );
    // No records at all.
    assert!(matches!(nxdomain(&nx, &z, &[], &mut h, &lim), Err(DenialError::NoRecords { .. })));
    // An NSEC whose next name lies in another zone denies nothing there,
    // nor in its own span (val_nx_overreach).
    let nsec = |owner: &str, next: &str| {
        Record::new(n(owner), 300, RData::Nsec(Nsec { next: n(next), types: TypeBitmap::new([RType::A, RType::NSEC]) }))
    };
    let overreach = vec![nsec("z.", "a.z."), nsec("wab.z.", "wzz.y.")];
    assert_eq!(
        nxdomain(&n("wb.z."), &z, &overreach, &mut h, &lim),
        Err(DenialError::NextOutsideZone { owner: n("wab.z."), next: n("wzz.y.") })
    );
}
