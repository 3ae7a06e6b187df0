//! The two backends agree: signatures made with the RustCrypto crates
//! verify under ring, and signatures made with ring verify under the
//! RustCrypto crates, for every algorithm both sides implement. Policy
//! gates RSASHA1 and small RSA keys at run time.

use candor_crypto::{
    AWS_LC, Backend, KeyError, PRODUCTION, Policy, PublicKey, RING, RUST_CRYPTO, RrsigError, SigningKey, Unsupported,
    key_tag, signed_data, verify_rrsig,
};
use candor_wire::{Algorithm, Name, RData, Record, Rrsig};
use ring::rand::SystemRandom;
use ring::signature as rs;

fn rrset() -> Vec<Record> {
    let owner: Name = "www.Example.".parse().unwrap();
    ["192.0.2.2", "192.0.2.1", "192.0.2.1"]
        .iter()
        .map(|a| Record::new(owner.clone(), 300, RData::A(a.parse().unwrap())))
        .collect()
}

fn zone() -> Name {
    "example.".parse().unwrap()
}

fn check(key: &SigningKey, sig: &Rrsig, backend: &Backend, policy: Policy) -> Result<(), RrsigError> {
    let dnskey = key.dnskey(256);
    let public = PublicKey::from_dnskey(&dnskey, policy)
        .map_err(|error| RrsigError::Key { key_tag: key_tag(&dnskey), error })?;
    verify_rrsig(&rrset(), sig, &zone(), &dnskey, &public, 1500, backend)
}

#[test]
fn rustcrypto_signatures_verify_under_both() {
    for alg in [
        Algorithm::RSASHA256,
        Algorithm::RSASHA512,
        Algorithm::ECDSAP256SHA256,
        Algorithm::ECDSAP384SHA384,
        Algorithm::ED25519,
        Algorithm::ED448,
    ] {
        let key = SigningKey::from_seed(alg, b"backends").unwrap();
        let sig = key.sign_rrset(&rrset(), &zone(), 256, 1000, 2000).unwrap();
        for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
            assert_eq!(check(&key, &sig, backend, Policy::PRODUCTION), Ok(()), "{alg} under {}", backend.name);
            let mut bad = sig.clone();
            bad.signature[3] ^= 0x10;
            assert!(
                matches!(check(&key, &bad, backend, Policy::PRODUCTION), Err(RrsigError::BadSignature { .. })),
                "{alg} under {}",
                backend.name
            );
        }
        // Same seed, same key: the lab's zones are reproducible.
        assert_eq!(SigningKey::from_seed(alg, b"backends").unwrap().public_key(), key.public_key());
        assert_ne!(SigningKey::from_seed(alg, b"other").unwrap().public_key(), key.public_key());
    }
}

#[test]
fn ring_signatures_verify_under_both() {
    let rng = SystemRandom::new();
    for alg in [
        Algorithm::RSASHA256,
        Algorithm::RSASHA512,
        Algorithm::ECDSAP256SHA256,
        Algorithm::ECDSAP384SHA384,
        Algorithm::ED25519,
    ] {
        let key = SigningKey::from_seed(alg, b"ring-signs").unwrap();
        // An RRSIG template; ring signs its data.
        let mut sig = key.sign_rrset(&rrset(), &zone(), 256, 1000, 2000).unwrap();
        sig.signature.clear();
        let data = signed_data(&sig, &rrset()).unwrap();
        sig.signature = match &key {
            SigningKey::Rsa { key, .. } => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                let der = key.to_pkcs1_der().unwrap();
                let pair = rs::RsaKeyPair::from_der(der.as_bytes()).unwrap();
                let mut out = vec![0; pair.public().modulus_len()];
                let enc = if alg == Algorithm::RSASHA256 { &rs::RSA_PKCS1_SHA256 } else { &rs::RSA_PKCS1_SHA512 };
                pair.sign(enc, &rng, &data, &mut out).unwrap();
                out
            }
            SigningKey::P256(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                let pair = rs::EcdsaKeyPair::from_private_key_and_public_key(
                    &rs::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &k.to_bytes(),
                    point.as_bytes(),
                    &rng,
                )
                .unwrap();
                pair.sign(&rng, &data).unwrap().as_ref().to_vec()
            }
            SigningKey::P384(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                let pair = rs::EcdsaKeyPair::from_private_key_and_public_key(
                    &rs::ECDSA_P384_SHA384_FIXED_SIGNING,
                    &k.to_bytes(),
                    point.as_bytes(),
                    &rng,
                )
                .unwrap();
                pair.sign(&rng, &data).unwrap().as_ref().to_vec()
            }
            SigningKey::Ed25519(k) => {
                let pair =
                    rs::Ed25519KeyPair::from_seed_and_public_key(&k.to_bytes(), &k.verifying_key().to_bytes()).unwrap();
                let made = pair.sign(&data).as_ref().to_vec();
                // Deterministic: ring and dalek make the same signature.
                assert_eq!(made, key.sign(&data).unwrap());
                made
            }
            // Neither ring nor AWS-LC signs (or verifies) Ed448: not in this list.
            _ => unreachable!("{alg} is not one ring signs"),
        };
        for backend in [&RUST_CRYPTO, &RING, &AWS_LC, &PRODUCTION] {
            assert_eq!(
                check(&key, &sig, backend, Policy::PRODUCTION),
                Ok(()),
                "ring-made {alg} under {}",
                backend.name
            );
        }
    }
}

#[test]
fn legacy_policy_is_a_runtime_switch() {
    let key = SigningKey::from_seed(Algorithm::RSASHA1, b"legacy").unwrap();
    let sig = key.sign_rrset(&rrset(), &zone(), 256, 1000, 2000).unwrap();
    assert_eq!(
        check(&key, &sig, &RING, Policy::PRODUCTION),
        Err(RrsigError::Key {
            key_tag: sig.key_tag,
            error: KeyError::Unsupported(Unsupported::Deprecated(Algorithm::RSASHA1))
        })
    );
    for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
        assert_eq!(check(&key, &sig, backend, Policy::LEGACY), Ok(()), "RSASHA1 under {}", backend.name);
    }

    // A 768-bit key: unsupported in production, verified by the rsa crate
    // (through the ring backend too) under the legacy policy.
    let small = SigningKey::rsa_from_seed(Algorithm::RSASHA256, 768, b"small").unwrap();
    let sig = small.sign_rrset(&rrset(), &zone(), 256, 1000, 2000).unwrap();
    assert_eq!(
        check(&small, &sig, &RING, Policy::PRODUCTION),
        Err(RrsigError::Key {
            key_tag: sig.key_tag,
            error: KeyError::Unsupported(Unsupported::RsaKeyTooSmall { bits: 768 })
        })
    );
    for backend in [&RING, &RUST_CRYPTO, &AWS_LC, &PRODUCTION] {
        assert_eq!(check(&small, &sig, backend, Policy::LEGACY), Ok(()), "768-bit under {}", backend.name);
    }
}

#[test]
fn unusable_keys_are_unsupported_or_malformed() {
    use candor_wire::Dnskey;
    let k = |alg: u8, pk: Vec<u8>| Dnskey { flags: 256, protocol: 3, algorithm: Algorithm(alg), public_key: pk };
    let err = |key: Dnskey| PublicKey::from_dnskey(&key, Policy::PRODUCTION).unwrap_err();
    for alg in [1u8, 3, 6, 12, 17, 200, 253] {
        assert_eq!(err(k(alg, vec![3, 1, 0, 1, 9])), KeyError::Unsupported(Unsupported::Algorithm(Algorithm(alg))));
    }
    // RFC 3110: a 3-octet exponent length form, exponent of 40 bits.
    let mut pk = vec![0, 0, 5, 0x80, 0, 0, 0, 1];
    pk.extend([0xc5; 256]);
    assert_eq!(err(k(8, pk)), KeyError::Unsupported(Unsupported::RsaExponent { bits: 40 }));
    // An even exponent.
    let mut pk = vec![1, 4];
    pk.extend([0xc5; 256]);
    assert_eq!(err(k(8, pk)), KeyError::Unsupported(Unsupported::RsaExponent { bits: 3 }));
    // 8200 bits.
    let mut pk = vec![3, 1, 0, 1];
    pk.extend([0xff; 1025]);
    assert_eq!(err(k(8, pk)), KeyError::Unsupported(Unsupported::RsaKeyTooLarge { bits: 8200 }));
    assert!(matches!(err(k(8, vec![9, 1])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(8, vec![])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(13, vec![1; 63])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(14, vec![1; 64])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(15, vec![1; 31])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(16, vec![1; 56])), KeyError::Malformed { .. }));
    assert!(matches!(err(k(16, vec![1; 58])), KeyError::Malformed { .. }));
    // The 3-octet length form parses when it is right.
    let key = SigningKey::from_seed(Algorithm::RSASHA256, b"three-octet").unwrap();
    let mut dnskey = key.dnskey(256);
    let e_len = dnskey.public_key[0];
    let mut long_form = vec![0, 0, e_len];
    long_form.extend_from_slice(&dnskey.public_key[1..]);
    let short = PublicKey::from_dnskey(&dnskey, Policy::PRODUCTION).unwrap();
    dnskey.public_key = long_form;
    assert_eq!(PublicKey::from_dnskey(&dnskey, Policy::PRODUCTION).unwrap(), short);
}
