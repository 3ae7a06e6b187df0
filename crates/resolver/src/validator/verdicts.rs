//! Signature verdicts remembered: the outcome of one public-key operation,
//! keyed by a SHA-256 digest of the key, the signature and the signed data,
//! so the same signature over the same data is verified once. Every name
//! a wildcard expands to carries the same signature over the same data
//! (the wildcard owner is what was signed), so a burst of names under a
//! wildcard whose signatures fail (KeyTrap, floods of bogus RRSIGs) costs
//! one verification, not one per name; and RRsets fetched again after
//! their TTL, unchanged, are checked without the public-key operation.
//!
//! Only the cryptographic outcome is kept: the validity window, the signer
//! and the key's flags are checked on every use. The table is a fixed
//! number of entries (a digest and a bit each), in shards.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use crate::sync::lock;

/// Entries kept at most.
pub const VERDICTS_KEPT: usize = 65_536;

/// What one entry is estimated to cost (the digest, the verdict, the LRU
/// map's node and slot).
pub(crate) const VERDICT_BYTES: usize = 96;

const SHARDS: usize = 8;

/// The digest a verdict is kept under.
pub type VerdictKey = [u8; 32];

/// Remembered verdicts of signature verifications.
#[derive(Debug)]
pub struct Verdicts {
    shards: [Mutex<LruCache<VerdictKey, bool>>; SHARDS],
}

impl Default for Verdicts {
    fn default() -> Verdicts {
        Verdicts::new(VERDICTS_KEPT)
    }
}

impl Verdicts {
    /// As many verdicts as `bytes` hold (at least 256, at most [`VERDICTS_KEPT`]).
    pub(crate) fn within(bytes: usize) -> Verdicts {
        Verdicts::new((bytes / VERDICT_BYTES).clamp(256, VERDICTS_KEPT))
    }

    /// Room for `capacity` verdicts.
    pub fn new(capacity: usize) -> Verdicts {
        let per = NonZeroUsize::new((capacity / SHARDS).max(1)).unwrap_or(NonZeroUsize::MIN);
        Verdicts { shards: std::array::from_fn(|_| Mutex::new(LruCache::new(per))) }
    }

    /// The key for a signature by `public_key` of `algorithm` (what the
    /// cryptographic check depends on; the key's flags are checked apart),
    /// `signature` and the `signed` data.
    pub fn key(algorithm: u8, public_key: &[u8], signature: &[u8], signed: &[u8]) -> VerdictKey {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&[algorithm]);
        // Lengths first, so no two inputs run together into one.
        for part in [public_key, signature, signed] {
            ctx.update(&(part.len() as u64).to_be_bytes());
        }
        for part in [public_key, signature, signed] {
            ctx.update(part);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        key
    }

    #[allow(clippy::indexing_slicing, reason = "the index is taken modulo SHARDS, the array's length")]
    fn shard(&self, key: &VerdictKey) -> &Mutex<LruCache<VerdictKey, bool>> {
        &self.shards[usize::from(key[0]) % SHARDS]
    }

    /// The verdict kept under `key`.
    pub fn get(&self, key: &VerdictKey) -> Option<bool> {
        lock(self.shard(key)).get(key).copied()
    }

    /// Keep `verified` under `key`.
    pub fn put(&self, key: VerdictKey, verified: bool) {
        lock(self.shard(&key)).put(key, verified);
    }

    /// Verdicts kept now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_do_not_run_together_and_the_table_stays_bounded() {
        assert_ne!(Verdicts::key(8, b"ab", b"c", b""), Verdicts::key(8, b"a", b"bc", b""));
        assert_ne!(Verdicts::key(8, b"k", b"s", b"d1"), Verdicts::key(8, b"k", b"s", b"d2"));
        let v = Verdicts::new(64);
        for i in 0..1000u32 {
            v.put(Verdicts::key(8, b"k", &i.to_be_bytes(), b"d"), i % 2 == 0);
        }
        assert!(v.len() <= 64, "{}", v.len());
        let last = Verdicts::key(8, b"k", &999u32.to_be_bytes(), b"d");
        assert_eq!(v.get(&last), Some(false));
    }
}
