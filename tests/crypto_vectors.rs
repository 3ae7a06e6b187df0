//! candor-crypto against the published vectors in ../shared/vectors
//! (RFC 4034, 4509, 5155, 5702, 6605, 8080): every signature verifies at
//! the time each file gives, with both backends; one flipped bit anywhere
//! makes it fail; key tags, DS digests and NSEC3 hashes recompute.

mod common;

use candor_crypto::{
    Backend, KeyError, Policy, PublicKey, RING, RUST_CRYPTO, RrsigError, SigningKey, Unsupported, ds_matches, key_tag,
    nsec3_hash, verify_rrsig,
};
use candor_wire::text::{base32hex_encode, base64_decode, parse_zone};
use candor_wire::{Algorithm, Dnskey, Name, RData, Record, Rrsig};

fn vector(file: &str) -> String {
    std::fs::read_to_string(common::shared().join("vectors").join(file)).unwrap()
}

/// The file split at its `;; ==== title ====` lines: (title, records).
fn sections(file: &str) -> Vec<(String, String, Vec<Record>)> {
    let text = vector(file);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix(";; ====") {
            out.push((title.trim_matches(|c| c == '=' || c == ' ').to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out.into_iter()
        .map(|(t, body)| {
            let records = parse_zone(&body, None).unwrap_or_else(|e| panic!("{file} {t}: {e}"));
            (t, body, records)
        })
        .collect()
}

struct Case {
    rrset: Vec<Record>,
    sig: Rrsig,
    owner: Name,
    key: Dnskey,
}

/// Every RRSIG of a section, with its RRset and its key (from the section
/// or, for zone files, from anywhere in `all`).
fn cases(records: &[Record], all: &[Record]) -> Vec<Case> {
    let mut out = Vec::new();
    for r in records {
        let RData::Rrsig(sig) = &r.data else { continue };
        let rrset: Vec<Record> =
            records.iter().filter(|x| x.owner == r.owner && x.rtype() == sig.type_covered).cloned().collect();
        let key = all
            .iter()
            .find_map(|k| match &k.data {
                RData::Dnskey(d) if k.owner == sig.signer && key_tag(d) == sig.key_tag => Some(d.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no key {} for {}", sig.key_tag, r.owner));
        out.push(Case { rrset, sig: sig.clone(), owner: sig.signer.clone(), key });
    }
    out
}

fn verify(
    c: &Case,
    sig: &Rrsig,
    rrset: &[Record],
    now: u64,
    backend: &Backend,
    policy: Policy,
) -> Result<(), RrsigError> {
    let public =
        PublicKey::from_dnskey(&c.key, policy).map_err(|error| RrsigError::Key { key_tag: sig.key_tag, error })?;
    verify_rrsig(rrset, sig, &c.owner, &c.key, &public, now, backend)
}

/// The case verifies with both backends, and every kind of damage fails.
fn verify_and_damage(label: &str, c: &Case, now: u64, policy: Policy) {
    for backend in [&RING, &RUST_CRYPTO] {
        assert_eq!(verify(c, &c.sig, &c.rrset, now, backend, policy), Ok(()), "{label} with {}", backend.name);
    }
    // Signature bits (every bit for short signatures, a spread for RSA).
    let bits = c.sig.signature.len() * 8;
    let step = if bits > 1024 { 13 } else { 1 };
    for i in (0..bits).step_by(step) {
        let mut bad = c.sig.clone();
        bad.signature[i / 8] ^= 0x80 >> (i % 8);
        for backend in [&RING, &RUST_CRYPTO] {
            assert!(verify(c, &bad, &c.rrset, now, backend, policy).is_err(), "{label}: signature bit {i}");
        }
    }
    // Signed RRSIG fields: original TTL, times, key tag's neighbours stay out
    // (a changed tag no longer selects the key), labels.
    for f in 0..32 {
        let mut bad = c.sig.clone();
        bad.original_ttl ^= 1 << f;
        assert!(verify(c, &bad, &c.rrset, now, &RING, policy).is_err(), "{label}: TTL bit {f}");
        let mut bad = c.sig.clone();
        bad.inception ^= 1 << f;
        assert!(verify(c, &bad, &c.rrset, now, &RING, policy).is_err(), "{label}: inception bit {f}");
        let mut bad = c.sig.clone();
        bad.expiration ^= 1 << f;
        assert!(verify(c, &bad, &c.rrset, now, &RING, policy).is_err(), "{label}: expiration bit {f}");
    }
    // Rdata bits.
    for (n, rr) in c.rrset.iter().enumerate() {
        let wire = rr.data.to_wire();
        for i in 0..wire.len() * 8 {
            let mut w = wire.clone();
            w[i / 8] ^= 0x80 >> (i % 8);
            let Ok(data) = RData::from_wire(rr.rtype(), &w) else {
                continue;
            };
            if data.to_canonical() == rr.data.to_canonical() {
                continue; // a case flip in a name: canonically the same
            }
            let mut rrset = c.rrset.clone();
            rrset[n].data = data;
            assert!(verify(c, &c.sig, &rrset, now, &RING, policy).is_err(), "{label}: rdata bit {i}");
        }
    }
    // The owner.
    let mut rrset = c.rrset.clone();
    for r in &mut rrset {
        r.owner = r.owner.parent().unwrap().prepend(b"wwx").unwrap();
    }
    assert!(verify(c, &c.sig, &rrset, now, &RING, policy).is_err(), "{label}: owner");
    // The class.
    let mut rrset = c.rrset.clone();
    for r in &mut rrset {
        r.class = candor_wire::Class::CH;
    }
    assert!(verify(c, &c.sig, &rrset, now, &RING, policy).is_err(), "{label}: class");
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc5702_rsa_sha256_and_sha512() {
    let now = 1_262_304_000;
    let secs = sections("rfc5702.txt");
    assert_eq!(secs.len(), 2);
    let mut tags = Vec::new();
    for (title, _, records) in &secs {
        for c in cases(records, records) {
            tags.push(c.sig.key_tag);
            // 512 and 1024-bit keys: the 512-bit one needs the legacy policy.
            let bits = PublicKey::from_dnskey(&c.key, Policy::LEGACY).unwrap().rsa_bits();
            if bits < 1024 {
                assert_eq!(
                    PublicKey::from_dnskey(&c.key, Policy::PRODUCTION),
                    Err(KeyError::Unsupported(Unsupported::RsaKeyTooSmall { bits }))
                );
            }
            verify_and_damage(title, &c, now, Policy::LEGACY);
        }
    }
    assert_eq!(tags, [9033, 3740]);
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc6605_ecdsa_p256_and_p384() {
    let now = 1_282_262_400;
    let secs = sections("rfc6605.txt");
    assert_eq!(secs.len(), 2);
    for (title, _, records) in &secs {
        let cs = cases(records, records);
        assert_eq!(cs.len(), 1, "{title}");
        verify_and_damage(title, &cs[0], now, Policy::PRODUCTION);
        check_ds(title, records);
    }
}

/// Every DS in the section matches the section's DNSKEY, and a changed
/// digest does not.
fn check_ds(title: &str, records: &[Record]) {
    let key = records.iter().find_map(|r| match &r.data {
        RData::Dnskey(k) => Some((r.owner.clone(), k.clone())),
        _ => None,
    });
    let mut n = 0;
    for r in records {
        let RData::Ds(ds) = &r.data else { continue };
        let (owner, key) = key.clone().unwrap();
        assert_eq!(ds_matches(ds, &owner, &key), Ok(true), "{title}: DS type {}", ds.digest_type);
        let mut bad = ds.clone();
        bad.digest[5] ^= 4;
        assert_eq!(ds_matches(&bad, &owner, &key), Ok(false), "{title}");
        n += 1;
    }
    assert!(n > 0, "{title} has a DS");
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc8080_ed25519_and_ed448_with_erratum_4935() {
    let now = 1_438_387_200;
    let secs = sections("rfc8080.txt");
    let mut ed25519 = 0;
    let mut ed448 = 0;
    for (title, body, records) in &secs {
        let cs = cases(records, records);
        assert_eq!(cs.len(), 1, "{title}");
        let c = &cs[0];
        verify_and_damage(title, c, now, Policy::PRODUCTION);
        check_ds(title, records);
        if c.key.algorithm == Algorithm::ED448 {
            ed448 += 1;
        } else {
            ed25519 += 1;
        }

        // The published RRSIG (labels 3 for a 2-label owner) is rejected.
        let published = body
            .lines()
            .skip_while(|l| !l.contains("negative test"))
            .nth(1)
            .map(|l| l.trim_start_matches(';').trim().to_owned())
            .unwrap();
        let rr = parse_zone(&published, None).unwrap().remove(0);
        let RData::Rrsig(bad) = rr.data else { panic!("{published}") };
        assert_eq!(bad.labels, 3);
        let err = verify(c, &bad, &c.rrset, now, &RING, Policy::PRODUCTION);
        assert!(matches!(err, Err(RrsigError::LabelsTooLarge { labels: 3, owner_labels: 2, .. })), "{title}: {err:?}");

        // EdDSA is deterministic: our signer, given the published private
        // key, makes the corrected signature byte for byte.
        let secret = body.lines().find_map(|l| l.strip_prefix("; PrivateKey: ")).unwrap();
        let secret = base64_decode(secret.trim()).unwrap();
        let signer = if c.key.algorithm == Algorithm::ED448 {
            SigningKey::ed448_from_secret(&secret.try_into().unwrap()).unwrap()
        } else {
            SigningKey::ed25519_from_secret(&secret.try_into().unwrap())
        };
        assert_eq!(signer.dnskey(c.key.flags), c.key, "{title}: the private key derives the DNSKEY");
        let mine = signer.sign_rrset(&c.rrset, &c.owner, c.key.flags, c.sig.inception, c.sig.expiration).unwrap();
        assert_eq!(mine, c.sig, "{title}");
    }
    assert_eq!((ed25519, ed448), (2, 2));
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc4034_key_tags_and_ds() {
    let secs = sections("rfc4034-keytag.txt");
    let tag_of = |needle: &str| {
        let (_, _, records) = secs.iter().find(|(t, _, _)| t.contains(needle)).unwrap();
        records
            .iter()
            .find_map(|r| match &r.data {
                RData::Dnskey(k) => Some(key_tag(k)),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(tag_of("2.3 DNSKEY"), 2642);
    assert_eq!(tag_of("5.4 DS"), 60485);
    for needle in ["5.4 DS", "4509"] {
        let (title, _, records) = secs.iter().find(|(t, _, _)| t.contains(needle)).unwrap();
        // The 4509 section reuses the 5.4 key: give it that key if it lacks one.
        let mut records = records.clone();
        if !records.iter().any(|r| matches!(r.data, RData::Dnskey(_))) {
            let (_, _, first) = secs.iter().find(|(t, _, _)| t.contains("5.4 DS")).unwrap();
            records.extend(first.iter().filter(|r| matches!(r.data, RData::Dnskey(_))).cloned());
        }
        check_ds(title, &records);
    }
    // Algorithm 1's special case: the 16 bits above the modulus's last octet.
    let k = Dnskey {
        flags: 256,
        protocol: 3,
        algorithm: Algorithm::RSAMD5,
        public_key: vec![1, 3, 0xaa, 0xbb, 0xcc, 0xdd],
    };
    assert_eq!(key_tag(&k), 0xbbcc);
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc5155_zone_signatures_and_hashes() {
    let text = vector("rfc5155-zone.txt");
    let origin: Name = "example.".parse().unwrap();
    let records = parse_zone(&text, Some(&origin)).unwrap();
    let cs = cases(&records, &records);
    assert_eq!(cs.len(), 30);
    let now = 1_262_304_000;
    for c in &cs {
        for backend in [&RING, &RUST_CRYPTO] {
            assert_eq!(verify(c, &c.sig, &c.rrset, now, backend, Policy::LEGACY), Ok(()), "{}", c.rrset[0].owner);
        }
        // Algorithm 7 is off under the production policy: unsupported, not bogus.
        assert_eq!(
            verify(c, &c.sig, &c.rrset, now, &RING, Policy::PRODUCTION),
            Err(RrsigError::Key {
                key_tag: c.sig.key_tag,
                error: KeyError::Unsupported(Unsupported::Deprecated(Algorithm::RSASHA1_NSEC3_SHA1))
            })
        );
    }
    verify_and_damage("5155 SOA", &cs[0], now, Policy::LEGACY);

    // The published hash list: `; H(name) = hash`, the long one over two lines.
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("; H(") else {
            continue;
        };
        let (name, tail) = rest.split_once(')').unwrap();
        let hash = match tail.split_once('=') {
            Some((_, h)) => h.trim().to_owned(),
            None => lines[i + 1].split_once('=').unwrap().1.trim().to_owned(),
        };
        let n: Name = name.parse().unwrap();
        assert_eq!(base32hex_encode(&nsec3_hash(&n, &[0xaa, 0xbb, 0xcc, 0xdd], 12)).to_lowercase(), hash, "H({name})");
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// Ed448 against OpenSSL's command line, both ways: what candor's signer
/// makes, `openssl pkeyutl -verify` accepts; what `openssl pkeyutl -sign`
/// makes with a key of its own, candor verifies (and not once altered).
#[test]
#[cfg_attr(not(candor_tools), ignore = "needs openssl")]
fn ed448_agrees_with_openssl_both_ways() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("candor-ed448-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(&dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    // SubjectPublicKeyInfo for Ed448 (RFC 8410): the OID 1.3.101.113, then the 57 octets.
    let spki =
        |key: &[u8]| [&[0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00][..], key].concat();
    let message = b"the octets an RRSIG covers".to_vec();
    std::fs::write(dir.join("msg"), &message).unwrap();

    // candor signs, OpenSSL verifies.
    let ours = SigningKey::from_seed(Algorithm::ED448, b"openssl oracle").unwrap();
    std::fs::write(dir.join("ours.der"), spki(&ours.public_key())).unwrap();
    std::fs::write(dir.join("ours.sig"), ours.sign(&message).unwrap()).unwrap();
    openssl(&["pkey", "-pubin", "-inform", "DER", "-in", "ours.der", "-out", "ours.pem"]);
    let verdict = openssl(&[
        "pkeyutl", "-verify", "-pubin", "-inkey", "ours.pem", "-rawin", "-in", "msg", "-sigfile", "ours.sig",
    ]);
    assert!(String::from_utf8_lossy(&verdict).contains("Signature Verified Successfully"));

    // OpenSSL signs with its own key, candor verifies with every backend.
    openssl(&["genpkey", "-algorithm", "ed448", "-out", "theirs.pem"]);
    openssl(&["pkey", "-in", "theirs.pem", "-pubout", "-outform", "DER", "-out", "theirs.der"]);
    openssl(&["pkeyutl", "-sign", "-inkey", "theirs.pem", "-rawin", "-in", "msg", "-out", "theirs.sig"]);
    let der = std::fs::read(dir.join("theirs.der")).unwrap();
    let key = Dnskey { flags: 257, protocol: 3, algorithm: Algorithm::ED448, public_key: der[12..].to_vec() };
    let sig = std::fs::read(dir.join("theirs.sig")).unwrap();
    assert_eq!((key.public_key.len(), sig.len()), (57, 114));
    let parsed = PublicKey::from_dnskey(&key, Policy::PRODUCTION).unwrap();
    for backend in [&RING, &RUST_CRYPTO, &candor_crypto::AWS_LC, &candor_crypto::PRODUCTION] {
        assert!(parsed.verify(backend, &message, &sig), "{backend:?}");
        let mut bad = sig.clone();
        bad[7] ^= 0x10;
        assert!(!parsed.verify(backend, &message, &bad), "{backend:?}: an altered signature");
        assert!(!parsed.verify(backend, b"other octets", &sig), "{backend:?}: other data");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
