//! The attack families: zones built to make a validating resolver spend
//! (KeyTrap's keys sharing one tag, a flood of bogus RRSIGs over every
//! RRset, NSEC3 with costly parameters under a deep name, a long CNAME
//! chain alternating between two zones). Each is a lab case like any
//! other, with a wildcard so every distinct name in a burst is a fresh
//! RRset to validate; `candor bench` and `benches/attack.sh` send bursts
//! of such names and measure what answering them costs.

use candor_crypto::key_tag;
use candor_wire::{RData, RType, Record};

use crate::LabError;
use crate::resign::{dnskey_signers, resign};
use crate::signer::SignedZone;

/// Links of the CNAME chain of the `attack-cname` family.
pub const CNAME_LINKS: usize = 30;

/// Labels of the name asked under the `attack-nsec3` zone (the zone's own
/// two labels included, the root not).
pub const NSEC3_LABELS: usize = 100;

/// Add `keys - 1` keys sharing the data signer's key tag (each a copy with
/// two octets changed so the tag stays the same: a different, wrong key),
/// re-sign the DNSKEY RRset with the true keys (so it validates), and give
/// every other RRset `sigs` RRSIGs naming that tag, none of which verifies.
pub(crate) fn key_trap(zone: &mut SignedZone, keys: usize, sigs: usize) -> Result<(), LabError> {
    let (signer, flags) = zone.keys.data_signer();
    let real = signer.dnskey(flags);
    let tag = key_tag(&real);
    let mut made = vec![real.clone()];
    let mut variant = 0usize;
    while made.len() < keys && variant < 64 * keys {
        variant += 1;
        let mut k = real.clone();
        if !same_tag_variant(&mut k.public_key, variant) || made.contains(&k) || key_tag(&k) != tag {
            continue;
        }
        made.push(k);
    }
    let origin = zone.origin.clone();
    let ttl = zone.records.iter().find(|r| r.rtype() == RType::DNSKEY).map_or(3600, |r| r.ttl);
    for k in made.into_iter().skip(1) {
        zone.records.push(Record::new(origin.clone(), ttl, RData::Dnskey(k)));
    }
    let (inc, exp) = (zone.options.inception, zone.options.expiration);
    let signers = dnskey_signers(zone);
    resign(zone, &origin, RType::DNSKEY, &signers, inc, exp)?;
    flood_sigs(zone, sigs);
    Ok(())
}

/// Replace the RRSIGs over every RRset but the DNSKEY RRset with `sigs`
/// copies of the first, each corrupted at another octet: the data
/// signer's tag, and not one verifies.
pub(crate) fn flood_sigs(zone: &mut SignedZone, sigs: usize) {
    let mut out = Vec::with_capacity(zone.records.len());
    for r in zone.records.drain(..) {
        match &r.data {
            RData::Rrsig(s) if s.type_covered != RType::DNSKEY => {
                for i in 0..sigs {
                    let mut bad = s.clone();
                    let len = bad.signature.len().max(1);
                    if let Some(x) = bad.signature.get_mut(i % len) {
                        *x ^= 0x01 << (i / len % 8);
                    }
                    // Past 8 × the signature's length, tell copies apart by
                    // the inception, which changes what was signed.
                    bad.inception = bad.inception.wrapping_sub((i / (8 * len)) as u32);
                    out.push(Record::new(r.owner.clone(), r.ttl, RData::Rrsig(bad)));
                }
            }
            _ => out.push(r),
        }
    }
    zone.records = out;
}

/// Change two octets of `pk` at the same parity (the tag sums big-endian
/// 16-bit words) in opposite directions by an amount and at a place that
/// `variant` picks; the last octets are kept (an RSA modulus stays odd).
fn same_tag_variant(pk: &mut [u8], variant: usize) -> bool {
    let n = pk.len();
    if n < 24 {
        return false;
    }
    let places = (n - 12) / 2;
    let i = 4 + 2 * (variant % places);
    let j = i + 2;
    let by = (1 + variant / places) as u8;
    let (Some(&a), Some(&b)) = (pk.get(i), pk.get(j)) else { return false };
    let (Some(a2), Some(b2)) = (a.checked_add(by), b.checked_sub(by)) else {
        return match (a.checked_sub(by), b.checked_add(by)) {
            (Some(a2), Some(b2)) => {
                pk[i] = a2;
                pk[j] = b2;
                true
            }
            _ => false,
        };
    };
    pk[i] = a2;
    pk[j] = b2;
    true
}

/// The zone-file text of one of the two zones of the CNAME chain (`a`
/// when `in_a`): every name under `a` starts the chain at `l1.b`, links
/// `l1`, `l2`, ... alternate between `b` (odd) and `a` (even), and the
/// last link has an A.
pub(crate) fn cname_chain_text(in_a: bool, a: &str, b: &str) -> String {
    let mut s = String::new();
    if in_a {
        s.push_str(&format!("* CNAME l1.{b}\n"));
    }
    for i in 1..=CNAME_LINKS {
        if (i % 2 == 0) != in_a {
            continue;
        }
        if i == CNAME_LINKS {
            s.push_str(&format!("l{i} A 192.0.2.30\n"));
        } else {
            let there = if i % 2 == 1 { a } else { b };
            s.push_str(&format!("l{i} CNAME l{}.{there}\n", i + 1));
        }
    }
    s
}

/// A name of `NSEC3_LABELS` labels ending in `zone`'s labels: `first`,
/// then single-letter labels down to the zone.
pub fn deep_name(first: &str, zone_labels: usize) -> String {
    let mut s = first.to_owned();
    for _ in 0..NSEC3_LABELS.saturating_sub(zone_labels + 1) {
        s.push_str(".a");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_keep_the_tag_and_differ() {
        let key = candor_wire::Dnskey {
            flags: 256,
            protocol: 3,
            algorithm: candor_wire::Algorithm::RSASHA256,
            public_key: (0..260u32).map(|i| (i * 37 % 251) as u8).collect(),
        };
        let tag = key_tag(&key);
        let mut seen = vec![key.public_key.clone()];
        for v in 1..200 {
            let mut k = key.clone();
            assert!(same_tag_variant(&mut k.public_key, v));
            assert_eq!(key_tag(&k), tag);
            assert_eq!(k.public_key.last(), key.public_key.last(), "the last octet (oddness) is kept");
            assert!(!seen.contains(&k.public_key), "variant {v} repeats");
            seen.push(k.public_key);
        }
    }

    #[test]
    fn the_chain_alternates_and_ends_in_an_address() {
        let (ta, tb) = (cname_chain_text(true, "a.test.", "b.test."), cname_chain_text(false, "a.test.", "b.test."));
        assert!(ta.starts_with("* CNAME l1.b.test.\n"), "{ta}");
        assert!(tb.contains("l1 CNAME l2.a.test.\n") && ta.contains("l2 CNAME l3.b.test.\n"));
        assert!(ta.contains(&format!("l{CNAME_LINKS} A ")), "{ta}");
        assert_eq!(ta.lines().count() + tb.lines().count(), CNAME_LINKS + 1);
        assert_eq!(deep_name("n1", 2).split('.').count() + 2, NSEC3_LABELS);
    }
}
