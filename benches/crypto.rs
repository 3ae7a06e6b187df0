//! candor-crypto throughput (elements/s):
//! - raw verifications, prebuilt message and parsed key, for algorithms 8
//!   (RSA 2048), 13 (P-256) and 15 (Ed25519), through the validator's
//!   backend (`PRODUCTION`: RSA by AWS-LC with the key parsed once, the
//!   curves by ring), and RSA through ring too (`alg8-rsa2048-ring`);
//! - the full path on a typical A RRset: signed data + verification;
//! - DS digests, key tags, NSEC3 hashes at 0, 10 and 150 iterations.
//!
//! Run: `cargo bench --bench crypto`; `benches/crypto-vs-openssl.sh` runs it
//! beside `openssl speed` and prints the ratios.

use std::hint::black_box;

use candor_crypto::{
    PRODUCTION, Policy, PublicKey, RING, SigningKey, ds_digest, key_tag, nsec3_hash, signed_data, verify_rrsig,
};
use candor_wire::{Algorithm, Name, RData, Record};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let zone: Name = "example.com.".parse().expect("name");
    let owner: Name = "www.example.com.".parse().expect("name");
    let rrset = vec![Record::new(owner.clone(), 300, RData::A("192.0.2.1".parse().expect("addr")))];

    let mut raw = c.benchmark_group("verify-raw");
    raw.throughput(Throughput::Elements(1));
    let mut full = Vec::new();
    for (label, alg) in [
        ("alg8-rsa2048", Algorithm::RSASHA256),
        ("alg13-p256", Algorithm::ECDSAP256SHA256),
        ("alg15-ed25519", Algorithm::ED25519),
    ] {
        let key = SigningKey::from_seed(alg, b"bench").expect("key");
        let dnskey = key.dnskey(256);
        let public = PublicKey::from_dnskey(&dnskey, Policy::PRODUCTION).expect("public");
        let rrsig = key.sign_rrset(&rrset, &zone, 256, 1_700_000_000, 1_900_000_000).expect("sign");
        let msg = signed_data(&rrsig, &rrset).expect("data");
        assert!(public.verify(&PRODUCTION, &msg, &rrsig.signature));
        raw.bench_function(label, |b| {
            b.iter(|| public.verify(&PRODUCTION, black_box(&msg), black_box(&rrsig.signature)))
        });
        if alg == Algorithm::RSASHA256 {
            raw.bench_function("alg8-rsa2048-ring", |b| {
                b.iter(|| public.verify(&RING, black_box(&msg), black_box(&rrsig.signature)))
            });
        }
        full.push((label, dnskey, public, rrsig));
    }
    raw.finish();

    let mut g = c.benchmark_group("verify-rrset");
    g.throughput(Throughput::Elements(1));
    for (label, dnskey, public, rrsig) in &full {
        g.bench_function(*label, |b| {
            b.iter(|| {
                verify_rrsig(black_box(&rrset), rrsig, &zone, dnskey, public, 1_800_000_000, &PRODUCTION)
                    .expect("valid")
            })
        });
    }
    g.finish();

    let ksk = SigningKey::from_seed(Algorithm::ECDSAP256SHA256, b"ksk").expect("key").dnskey(257);
    let mut g = c.benchmark_group("misc");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ds-sha256", |b| b.iter(|| ds_digest(black_box(&zone), &ksk, 2).expect("digest")));
    g.bench_function("key-tag-p256", |b| b.iter(|| key_tag(black_box(&ksk))));
    let rsa = full[0].1.clone();
    g.bench_function("key-tag-rsa2048", |b| b.iter(|| key_tag(black_box(&rsa))));
    for iterations in [0u16, 10, 150] {
        g.bench_function(format!("nsec3-hash-iter{iterations}"), |b| {
            b.iter(|| nsec3_hash(black_box(&owner), &[0xaa, 0xbb, 0xcc, 0xdd], iterations))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
