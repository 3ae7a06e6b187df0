//! DSA (algorithms 3 and 6, RFC 2536) for test corpora only: the legacy
//! policy turns it on, `candor serve` never does. Plain big-integer
//! arithmetic (the `rsa` crate's `BigUint`); no constant-time concern,
//! since only public values are involved.

use rsa::BigUint;
use sha1::{Digest, Sha1};

/// The RFC 2536 key: T, Q (20), P, G, Y (64 + 8T each).
pub(crate) fn parse_key(pk: &[u8]) -> Option<[Vec<u8>; 4]> {
    let t = usize::from(*pk.first()?);
    if t > 8 {
        return None;
    }
    let len = 64 + 8 * t;
    if pk.len() != 1 + 20 + 3 * len {
        return None;
    }
    let q = pk.get(1..21)?.to_vec();
    let p = pk.get(21..21 + len)?.to_vec();
    let g = pk.get(21 + len..21 + 2 * len)?.to_vec();
    let y = pk.get(21 + 2 * len..)?.to_vec();
    Some([p, q, g, y])
}

/// One DER INTEGER at the start of `b`: (value without sign octet, rest).
fn der_integer(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if *b.first()? != 0x02 {
        return None;
    }
    let len = usize::from(*b.get(1)?);
    let v = b.get(2..2 + len)?;
    let v = if v.len() > 20 && v.first() == Some(&0) { v.get(1..)? } else { v };
    Some((v, b.get(2 + len..)?))
}

/// (r, s) from an RFC 2536 signature (T | R | S, 41 octets), or from the
/// DER `SEQUENCE { r, s }` some old signers wrote instead.
fn split_signature(sig: &[u8]) -> Option<(&[u8], &[u8])> {
    if sig.len() == 41 {
        return Some((sig.get(1..21)?, sig.get(21..41)?));
    }
    if *sig.first()? != 0x30 || usize::from(*sig.get(1)?) != sig.len() - 2 {
        return None;
    }
    let (r, rest) = der_integer(sig.get(2..)?)?;
    let (s, rest) = der_integer(rest)?;
    rest.is_empty().then_some((r, s))
}

/// FIPS 186 verification of `sig` over `msg` (SHA-1).
pub(crate) fn verify(key: &[Vec<u8>; 4], msg: &[u8], sig: &[u8]) -> bool {
    let [p, q, g, y] = key;
    let Some((r, s)) = split_signature(sig) else { return false };
    let (p, q, g, y) =
        (BigUint::from_bytes_be(p), BigUint::from_bytes_be(q), BigUint::from_bytes_be(g), BigUint::from_bytes_be(y));
    let (r, s) = (BigUint::from_bytes_be(r), BigUint::from_bytes_be(s));
    let zero = BigUint::from(0u32);
    if r == zero || s == zero || r >= q || s >= q || q == zero || p == zero {
        return false;
    }
    let h = BigUint::from_bytes_be(&Sha1::digest(msg));
    // q is prime: s^-1 = s^(q-2) mod q.
    let w = s.modpow(&(&q - BigUint::from(2u32)), &q);
    let u1 = (&h * &w) % &q;
    let u2 = (&r * &w) % &q;
    let v = ((g.modpow(&u1, &p) * y.modpow(&u2, &p)) % &p) % &q;
    v == r
}
