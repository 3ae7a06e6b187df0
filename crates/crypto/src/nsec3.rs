//! NSEC3 owner hashing (RFC 5155 §5).

use candor_wire::Name;
use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};

/// SHA-1 output length: every NSEC3 hash under hash algorithm 1.
pub const NSEC3_HASH_LEN: usize = 20;

/// `IH(salt, name, iterations)`: SHA-1 of the canonical (lowercase wire)
/// name and the salt, then `iterations` more times of the previous digest
/// and the salt.
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> [u8; NSEC3_HASH_LEN] {
    let lower = name.to_lowercase();
    let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(lower.as_wire());
    ctx.update(salt);
    let mut out = [0u8; NSEC3_HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    for _ in 0..iterations {
        let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(&out);
        ctx.update(salt);
        out.copy_from_slice(ctx.finish().as_ref());
    }
    out
}

/// The number of SHA-1 compression-function calls (64-octet blocks) one
/// `nsec3_hash` costs: what a hash budget should count, since salt and
/// name length change the cost of each iteration, not just their number.
pub fn nsec3_hash_blocks(name_len: usize, salt_len: usize, iterations: u16) -> u64 {
    // SHA-1 pads with 1 octet plus an 8-octet length: ceil((len + 9) / 64).
    let blocks = |len: usize| (len + 9).div_ceil(64) as u64;
    blocks(name_len + salt_len) + u64::from(iterations) * blocks(NSEC3_HASH_LEN + salt_len)
}
