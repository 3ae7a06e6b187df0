//! How this crate gets NSEC3 hashes without knowing cryptography, and the
//! per-response hash budget (RFC 9276, CVE-2023-50868).

use candor_wire::Name;

use crate::error::DenialError;

/// NSEC3 hash length under hash algorithm 1 (SHA-1).
pub const HASH_LEN: usize = 20;

/// Computes `IH(salt, name, iterations)` (RFC 5155 §5). The validator
/// implements it with its crypto crate, a budget and a cache.
pub trait Nsec3Hasher {
    /// The hash of `name`, or `DenialError::HashBudget` when the budget is spent.
    fn hash(&mut self, name: &Name, salt: &[u8], iterations: u16) -> Result<[u8; HASH_LEN], DenialError>;
}

/// SHA-1 compression-function calls (64-octet blocks) one NSEC3 hash
/// costs: `ceil((len + 9) / 64)` for the first input, then as much for
/// each iteration over `hash || salt`. Salt length changes the cost of
/// every iteration, so the budget counts blocks, not names.
pub fn hash_cost_blocks(name_len: usize, salt_len: usize, iterations: u16) -> u64 {
    let blocks = |len: usize| (len + 9).div_ceil(64) as u64;
    blocks(name_len + salt_len) + u64::from(iterations) * blocks(HASH_LEN + salt_len)
}

/// A [`Nsec3Hasher`] over a hash function, with a budget in SHA-1 blocks
/// and a cache, so each name is hashed once per response.
pub struct BudgetHasher<F> {
    hash: F,
    limit: u64,
    used: u64,
    cache: Vec<(Name, Vec<u8>, u16, [u8; HASH_LEN])>,
}

impl<F: FnMut(&Name, &[u8], u16) -> [u8; HASH_LEN]> BudgetHasher<F> {
    /// Budget `limit` SHA-1 blocks for `hash`.
    pub fn new(hash: F, limit: u64) -> BudgetHasher<F> {
        BudgetHasher { hash, limit, used: 0, cache: Vec::new() }
    }

    /// Blocks spent so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Names actually hashed (cache misses) so far.
    pub fn hashed(&self) -> usize {
        self.cache.len()
    }
}

impl<F: FnMut(&Name, &[u8], u16) -> [u8; HASH_LEN]> Nsec3Hasher for BudgetHasher<F> {
    fn hash(&mut self, name: &Name, salt: &[u8], iterations: u16) -> Result<[u8; HASH_LEN], DenialError> {
        if let Some((.., h)) = self.cache.iter().find(|(n, s, i, _)| n == name && s == salt && *i == iterations) {
            return Ok(*h);
        }
        let cost = hash_cost_blocks(name.wire_len(), salt.len(), iterations);
        if self.used + cost > self.limit {
            return Err(DenialError::HashBudget { limit: self.limit });
        }
        self.used += cost;
        let h = (self.hash)(name, salt, iterations);
        self.cache.push((name.clone(), salt.to_vec(), iterations, h));
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_counts_sha1_blocks() {
        // A 15-octet name with a 4-octet salt fits one block; so does each
        // of 5 iterations over 20 + 4 octets.
        assert_eq!(hash_cost_blocks(15, 4, 5), 6);
        // A 255-octet salt makes every iteration cost 5 blocks.
        assert_eq!(hash_cost_blocks(100, 255, 1), 6 + 5);
        assert_eq!(hash_cost_blocks(0, 0, 0), 1);
    }

    #[test]
    fn budget_caches_and_stops() {
        let mut calls = 0;
        let name: Name = "a.example.".parse().unwrap();
        let other: Name = "b.example.".parse().unwrap();
        let mut h = BudgetHasher::new(
            |_: &Name, _: &[u8], _: u16| {
                calls += 1;
                [7; HASH_LEN]
            },
            12,
        );
        assert_eq!(h.hash(&name, b"", 10), Ok([7; HASH_LEN]));
        assert_eq!(h.hash(&name, b"", 10), Ok([7; HASH_LEN]));
        assert_eq!((h.used(), h.hashed()), (11, 1));
        assert_eq!(h.hash(&other, b"", 10), Err(DenialError::HashBudget { limit: 12 }));
        drop(h);
        assert_eq!(calls, 1);
    }
}
