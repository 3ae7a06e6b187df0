//! Key tags (RFC 4034 appendix B).

use candor_wire::{Algorithm, Dnskey};

/// The key tag of a DNSKEY: the ones-complement-style sum of its rdata, or
/// for algorithm 1 (RSAMD5) the 16 bits above the modulus's last octet.
pub fn key_tag(key: &Dnskey) -> u16 {
    let pk = &key.public_key;
    if key.algorithm == Algorithm::RSAMD5 {
        let n = pk.len();
        return match (n.checked_sub(3).and_then(|i| pk.get(i)), n.checked_sub(2).and_then(|i| pk.get(i))) {
            (Some(&hi), Some(&lo)) => u16::from_be_bytes([hi, lo]),
            _ => 0,
        };
    }
    let [f0, f1] = key.flags.to_be_bytes();
    let mut ac: u32 =
        (u32::from(f0) << 8) + u32::from(f1) + (u32::from(key.protocol) << 8) + u32::from(key.algorithm.0);
    // The public key starts at rdata offset 4: even offsets are high octets.
    let mut pairs = pk.chunks_exact(2);
    for p in &mut pairs {
        if let [hi, lo] = p {
            ac += (u32::from(*hi) << 8) + u32::from(*lo);
        }
    }
    if let [last] = pairs.remainder() {
        ac += u32::from(*last) << 8;
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}
