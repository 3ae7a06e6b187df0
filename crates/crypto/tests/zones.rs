//! Signatures nobody here made: the zones in testdata/zones were signed by
//! BIND's dnssec-signzone (ECDSA P-256 with NSEC; RSA/SHA-256 2048 and 1024
//! bits with NSEC3). Every RRSIG verifies with both backends; damaged
//! copies do not; the CDS and NSEC3 owners recompute.

mod common;

use std::path::PathBuf;

use candor_crypto::{
    AWS_LC, PRODUCTION, Policy, RING, RUST_CRYPTO, RrsigError, ds_matches, key_tag, make_ds, nsec3_hash,
};
use candor_wire::text::{ZoneParser, base32hex_encode};
use candor_wire::{Name, RData, RType, Record, parse_timestamp};

fn zone(file: &str, origin: &str) -> Vec<Record> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/zones").join(file);
    ZoneParser::new(Some(origin.parse().unwrap())).parse_file(&path).unwrap()
}

/// Inside the windows BIND gave (20261101000000 - 20361101000000).
fn now() -> u64 {
    parse_timestamp("20270101000000").unwrap() as u64
}

#[test]
fn bind_signed_zones_verify_with_both_backends() {
    for (file, origin, min) in [("example.signed", "example.", 30), ("nsec3.example.signed", "nsec3.example.", 10)] {
        let records = zone(file, origin);
        for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
            let n = common::verify_all(&records, now(), backend, Policy::PRODUCTION);
            assert!(n >= min, "{file}: {n} RRSIGs verified with {}", backend.name);
        }
    }
}

#[test]
fn key_tags_match_bind() {
    // BIND named its key files Kexample.+013+05412 and +43134.
    let records = zone("example.signed", "example.");
    let mut tags: Vec<u16> = common::dnskeys(&records).iter().map(|(_, k)| key_tag(k)).collect();
    tags.sort();
    assert_eq!(tags, [5412, 43134]);
}

#[test]
fn damaged_records_fail() {
    let records = zone("example.signed", "example.");
    let sigs = common::rrsigs(&records);
    let (owner, sig) =
        sigs.iter().find(|(o, s)| o.to_string() == "www.example." && s.type_covered == RType::A).unwrap();
    let ok = |recs: &[Record], sig| common::verify_one(recs, owner, sig, now(), &RING, Policy::PRODUCTION);
    assert_eq!(ok(&records, sig), Ok(()));

    // Every bit of the signature matters.
    for i in 0..sig.signature.len() * 8 {
        let mut bad = sig.clone();
        bad.signature[i / 8] ^= 0x80 >> (i % 8);
        for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
            let r = common::verify_one(&records, owner, &bad, now(), backend, Policy::PRODUCTION);
            assert_eq!(r, Err(RrsigError::BadSignature { key_tag: 43134, algorithm: sig.algorithm }), "bit {i}");
        }
    }
    // So do the RRSIG's own fields and the data.
    let mut bad = sig.clone();
    bad.original_ttl += 1;
    assert!(matches!(ok(&records, &bad), Err(RrsigError::BadSignature { .. })));
    let mut bad = sig.clone();
    bad.expiration += 1;
    assert!(matches!(ok(&records, &bad), Err(RrsigError::BadSignature { .. })));
    let mut changed = records.clone();
    for r in changed.iter_mut().filter(|r| r.owner == *owner && r.rtype() == RType::A) {
        r.data = RData::A("192.0.2.81".parse().unwrap());
    }
    assert!(matches!(ok(&changed, sig), Err(RrsigError::BadSignature { .. })));
    // The TTL served does not matter (the original TTL is signed), nor does case.
    let mut changed = records.clone();
    for r in changed.iter_mut().filter(|r| r.owner == *owner && r.rtype() == RType::A) {
        r.ttl = 5;
        r.owner = "WWW.EXAMPLE.".parse().unwrap();
    }
    assert_eq!(ok(&changed, sig), Ok(()));
}

#[test]
fn time_and_key_checks() {
    let records = zone("example.signed", "example.");
    let sigs = common::rrsigs(&records);
    let (owner, sig) = sigs.iter().find(|(_, s)| s.type_covered == RType::SOA).unwrap();
    let at = |t: &str| {
        common::verify_one(&records, owner, sig, parse_timestamp(t).unwrap() as u64, &RING, Policy::PRODUCTION)
    };
    let (inception, expiration) = (sig.inception, sig.expiration);
    assert_eq!(at("20261101000000"), Ok(()), "inception itself is valid");
    assert_eq!(at("20361101000000"), Ok(()), "expiration itself is valid");
    let now = parse_timestamp("20261031235959").unwrap() as u64;
    assert_eq!(at("20261031235959"), Err(RrsigError::NotYetValid { key_tag: 43134, inception, expiration, now }));
    let now = parse_timestamp("20361101000001").unwrap() as u64;
    assert_eq!(at("20361101000001"), Err(RrsigError::Expired { key_tag: 43134, inception, expiration, now }));
    let msg = RrsigError::Expired { key_tag: 43134, inception, expiration, now }.to_string();
    assert_eq!(msg, "RRSIG by key 43134 expired 20361101000000 (now 20361101000001)");

    let mut swapped = sig.clone();
    std::mem::swap(&mut swapped.inception, &mut swapped.expiration);
    assert_eq!(
        common::verify_one(&records, owner, &swapped, now, &RING, Policy::PRODUCTION),
        Err(RrsigError::ExpirationBeforeInception { key_tag: 43134, inception: expiration, expiration: inception })
    );
    // After the 2106 wrap, RFC 1982 arithmetic still orders the window.
    let mut wrapped = sig.clone();
    wrapped.inception = u32::MAX - 100;
    wrapped.expiration = 100;
    let err = common::verify_one(&records, owner, &wrapped, u64::from(u32::MAX) + 50, &RING, Policy::PRODUCTION);
    assert!(matches!(err, Err(RrsigError::BadSignature { .. })), "time checks pass across the wrap: {err:?}");

    // Key checks, on a copy of the zone's ZSK.
    let (zone_name, zsk) = common::dnskeys(&records).into_iter().find(|(_, k)| key_tag(k) == 43134).unwrap();
    let rrset: Vec<Record> = records.iter().filter(|r| r.rtype() == RType::SOA).cloned().collect();
    let check = |key: &candor_wire::Dnskey, sig: &candor_wire::Rrsig| {
        candor_crypto::check_rrsig(&rrset, sig, &zone_name, key, now - 1000)
    };
    let mut k = zsk.clone();
    k.flags &= !candor_wire::Dnskey::ZONE;
    let mut s = sig.clone();
    s.key_tag = key_tag(&k);
    assert_eq!(check(&k, &s), Err(RrsigError::NotZoneKey { key_tag: s.key_tag }));
    let mut k = zsk.clone();
    k.protocol = 2;
    s.key_tag = key_tag(&k);
    assert_eq!(check(&k, &s), Err(RrsigError::BadProtocol { key_tag: s.key_tag, protocol: 2 }));
    let mut k = zsk.clone();
    k.flags |= candor_wire::Dnskey::REVOKE;
    s.key_tag = key_tag(&k);
    assert_eq!(check(&k, &s), Err(RrsigError::Revoked { key_tag: s.key_tag }));
    assert_eq!(check(&zsk, &s), Err(RrsigError::KeyTagMismatch { rrsig: s.key_tag, key: 43134 }));
    let mut s = sig.clone();
    s.algorithm = candor_wire::Algorithm::ED25519;
    assert!(matches!(check(&zsk, &s), Err(RrsigError::AlgorithmMismatch { .. })));
    let mut s = sig.clone();
    s.type_covered = RType::NS;
    assert_eq!(check(&zsk, &s), Err(RrsigError::TypeMismatch { covered: RType::NS, rrset: RType::SOA }));
    let mut s = sig.clone();
    s.signer = "other.".parse().unwrap();
    assert!(matches!(check(&zsk, &s), Err(RrsigError::SignerNotAncestor { .. })));
    let other: Name = "example.".parse().unwrap();
    let mut s = sig.clone();
    s.signer = Name::root();
    assert_eq!(check(&zsk, &s), Err(RrsigError::SignerNotKeyOwner { signer: Name::root(), key_owner: other }));
    let mut s = sig.clone();
    s.labels = 2;
    assert!(matches!(check(&zsk, &s), Err(RrsigError::LabelsTooLarge { labels: 2, owner_labels: 1, .. })));
}

#[test]
fn revoked_key_signs_its_own_dnskey_rrset() {
    use candor_crypto::{PublicKey, SigningKey, check_rrsig, verify_rrsig};
    let zone: Name = "example.".parse().unwrap();
    let key = SigningKey::from_seed(candor_wire::Algorithm::ECDSAP256SHA256, b"revoked").unwrap();
    let flags = 257 | candor_wire::Dnskey::REVOKE;
    let dnskey = key.dnskey(flags);
    let rrset = vec![Record::new(zone.clone(), 3600, RData::Dnskey(dnskey.clone()))];
    let sig = key.sign_rrset(&rrset, &zone, flags, 1000, 2000).unwrap();
    let public = PublicKey::from_dnskey(&dnskey, Policy::PRODUCTION).unwrap();
    assert_eq!(verify_rrsig(&rrset, &sig, &zone, &dnskey, &public, 1500, &RING), Ok(()));
    let other = vec![Record::new(zone.clone(), 3600, RData::A("192.0.2.1".parse().unwrap()))];
    let sig = key.sign_rrset(&other, &zone, flags, 1000, 2000).unwrap();
    assert_eq!(check_rrsig(&other, &sig, &zone, &dnskey, 1500), Err(RrsigError::Revoked { key_tag: sig.key_tag }));
}

#[test]
fn cds_matches_the_ksk() {
    let records = zone("example.signed", "example.");
    let origin: Name = "example.".parse().unwrap();
    let cds = records
        .iter()
        .find_map(|r| match &r.data {
            RData::Cds(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap();
    let keys = common::dnskeys(&records);
    let ksk = &keys.iter().find(|(_, k)| key_tag(k) == 5412).unwrap().1;
    assert_eq!(ds_matches(&cds, &origin, ksk), Ok(true));
    assert_eq!(make_ds(&origin, ksk, 2).unwrap(), cds);
    let zsk = &keys.iter().find(|(_, k)| key_tag(k) == 43134).unwrap().1;
    assert_eq!(ds_matches(&cds, &origin, zsk), Ok(false));
    let mut bad = cds.clone();
    bad.digest[0] ^= 1;
    assert_eq!(ds_matches(&bad, &origin, ksk), Ok(false));
    bad.digest_type = 3;
    assert_eq!(ds_matches(&bad, &origin, ksk), Err(candor_crypto::Unsupported::DigestType(3)));
}

#[test]
fn nsec3_owners_are_hashes_of_the_zone_names() {
    let records = zone("nsec3.example.signed", "nsec3.example.");
    let origin: Name = "nsec3.example.".parse().unwrap();
    let param = records
        .iter()
        .find_map(|r| match &r.data {
            RData::Nsec3param(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    let owners: std::collections::BTreeSet<String> = records
        .iter()
        .filter(|r| r.rtype() == RType::NSEC3)
        .map(|r| String::from_utf8_lossy(r.owner.first_label().unwrap()).to_uppercase())
        .collect();
    // Names with authoritative data or delegations, and the empty non-terminals.
    for name in [
        "nsec3.example.",
        "ns.nsec3.example.",
        "a.nsec3.example.",
        "b.c.nsec3.example.",
        "c.nsec3.example.",
        "w.nsec3.example.",
        "*.w.nsec3.example.",
    ] {
        let n: Name = name.parse().unwrap();
        let h = base32hex_encode(&nsec3_hash(&n, &param.salt, param.iterations));
        assert!(owners.contains(&h), "{name} hashes to {h}, an NSEC3 owner");
    }
    assert!(records.iter().all(|r| r.rtype() != RType::NSEC3 || r.owner.is_subdomain_of(&origin)));
}

#[test]
fn wildcard_expansions_verify_with_the_wildcard_signature() {
    let records = zone("nsec3.example.signed", "nsec3.example.");
    let wild: Name = "*.w.nsec3.example.".parse().unwrap();
    let sigs = common::rrsigs(&records);
    let (_, sig) = sigs.iter().find(|(o, s)| *o == wild && s.type_covered == RType::A).unwrap();
    assert_eq!(sig.labels, 3);
    let expanded: Vec<Record> = records
        .iter()
        .filter(|r| r.owner == wild && r.rtype() == RType::A)
        .map(|r| Record { owner: "x.Y.w.nsec3.example.".parse().unwrap(), ..r.clone() })
        .collect();
    let (key_owner, key) = common::dnskeys(&records).into_iter().find(|(_, k)| key_tag(k) == sig.key_tag).unwrap();
    let public = candor_crypto::PublicKey::from_dnskey(&key, Policy::PRODUCTION).unwrap();
    for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
        assert_eq!(candor_crypto::verify_rrsig(&expanded, sig, &key_owner, &key, &public, now(), backend), Ok(()));
    }
    // The same signature does not cover the name under another parent.
    let moved: Vec<Record> =
        expanded.iter().map(|r| Record { owner: "x.v.nsec3.example.".parse().unwrap(), ..r.clone() }).collect();
    let err = candor_crypto::verify_rrsig(&moved, sig, &key_owner, &key, &public, now(), &RING);
    assert!(matches!(err, Err(RrsigError::BadSignature { .. })), "{err:?}");
}

#[test]
fn duplicates_count_once_and_order_does_not_matter() {
    use candor_crypto::signed_data;
    let records = zone("example.signed", "example.");
    let sigs = common::rrsigs(&records);
    let (owner, sig) = sigs.iter().find(|(_, s)| s.type_covered == RType::NS).unwrap();
    let mut ns: Vec<Record> = records.iter().filter(|r| r.owner == *owner && r.rtype() == RType::NS).cloned().collect();
    assert_eq!(ns.len(), 2);
    let once = signed_data(sig, &ns).unwrap();
    ns.reverse();
    ns.push(ns[0].clone());
    assert_eq!(signed_data(sig, &ns).unwrap(), once);
    assert_eq!(common::verify_one(&records, owner, sig, now(), &RING, Policy::PRODUCTION), Ok(()));
}
