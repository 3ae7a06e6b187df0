//! # candor-anchor
//!
//! Trust anchors: where validation starts. The built-in IANA root anchors,
//! anchors read from files of DS or DNSKEY records, and negative trust
//! anchors (RFC 7646) with an expiry.
//!
//! **Owns**: which zones are trusted a priori and with which DS or DNSKEY
//! records; which names validation is switched off for, until when.
//!
//! **Must not know about**: the network, the cache, or how a chain of
//! trust is walked (the resolver's validator does that, starting from
//! [`Anchors::closest`]).
//!
//! RFC 5011 automated updates ([`Rfc5011`]) keep a zone's key states in a
//! file written atomically.
//!
//! **Known limitations**: Missing keys are kept for ever; a corrupt state
//! file is refused (the resolver leaves it in place and says so) rather
//! than moved aside.

mod rfc5011;

pub use rfc5011::{ADD_HOLD_DOWN, KeyState, REMOVE_HOLD_DOWN, Rfc5011, StateError};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candor_wire::text::{ZoneError, ZoneParser, parse_zone};
use candor_wire::{Dnskey, Ds, Name, RData, Record};

/// The IANA root trust anchors as DS records: KSK-2017 (key tag 20326)
/// and KSK-2024 (key tag 38696), both RSA/SHA-256 with SHA-256 digests.
pub const IANA_ROOT_ANCHORS: &str = "\
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
";

/// What can go wrong reading anchors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    Zone(#[from] ZoneError),
    /// The file holds no DS or DNSKEY record.
    #[error("{} holds no DS or DNSKEY record", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A DNSKEY anchor without the zone-key bit, or not protocol 3.
    #[error("DNSKEY anchor for {zone} is not a DNSSEC zone key (flags {flags}, protocol {protocol})")]
    NotZoneKey {
        /// The zone.
        zone: Name,
        /// Its flags.
        flags: u16,
        /// Its protocol.
        protocol: u8,
    },
}

/// The trusted DS and DNSKEY records of one zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustAnchor {
    /// Trusted DS records: a DNSKEY of the zone matching one is trusted.
    pub ds: Vec<Ds>,
    /// Trusted DNSKEY records.
    pub keys: Vec<Dnskey>,
}

/// A negative trust anchor: validation is off at and below `zone` until
/// `expires` (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeAnchor {
    /// The zone.
    pub zone: Name,
    /// When it stops applying.
    pub expires: u64,
}

/// The anchors the validator starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchors {
    anchors: BTreeMap<Name, TrustAnchor>,
    negative: Vec<NegativeAnchor>,
}

impl Anchors {
    /// No anchors at all: nothing validates (every answer is insecure).
    pub fn empty() -> Anchors {
        Anchors::default()
    }

    /// The built-in IANA root anchors.
    pub fn iana_root() -> Anchors {
        let mut a = Anchors::empty();
        // The constant is ours and parses; a failure here would be a bug
        // caught by the tests, so an empty set is the safe fallback.
        if let Ok(records) = parse_zone(IANA_ROOT_ANCHORS, None) {
            let _ = a.add_records(&records);
        }
        a
    }

    /// Anchors from a file of DS and/or DNSKEY records in zone-file text,
    /// with or without TTLs and classes (Unbound's `root.key`, IANA's DS lines).
    pub fn from_file(path: &Path) -> Result<Anchors, AnchorError> {
        let records = ZoneParser::new(None).parse_file(path)?;
        let mut a = Anchors::empty();
        if a.add_records(&records)? == 0 {
            return Err(AnchorError::Empty { path: path.to_path_buf() });
        }
        Ok(a)
    }

    /// Add the DS and DNSKEY records among `records`; returns how many.
    pub fn add_records(&mut self, records: &[Record]) -> Result<usize, AnchorError> {
        let mut n = 0;
        for r in records {
            match &r.data {
                RData::Ds(ds) => {
                    let e = self.anchors.entry(r.owner.clone()).or_default();
                    if !e.ds.contains(ds) {
                        e.ds.push(ds.clone());
                    }
                    n += 1;
                }
                RData::Dnskey(k) => {
                    if !k.is_zone_key() || k.protocol != 3 {
                        return Err(AnchorError::NotZoneKey {
                            zone: r.owner.clone(),
                            flags: k.flags,
                            protocol: k.protocol,
                        });
                    }
                    let e = self.anchors.entry(r.owner.clone()).or_default();
                    if !e.keys.contains(k) {
                        e.keys.push(k.clone());
                    }
                    n += 1;
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// The anchor of exactly `zone`.
    pub fn get(&self, zone: &Name) -> Option<&TrustAnchor> {
        self.anchors.get(zone)
    }

    /// The deepest anchored zone at or above `name`, where validation of
    /// `name` starts.
    pub fn closest(&self, name: &Name) -> Option<(&Name, &TrustAnchor)> {
        // Anchors are usually few (the root, perhaps some islands):
        // comparing each costs less than looking up every ancestor of a
        // long name; with many, the ancestors are looked up.
        if self.anchors.len() > 16 {
            return name.ancestors().find_map(|a| self.anchors.get_key_value(&a));
        }
        self.anchors.iter().filter(|(zone, _)| name.is_subdomain_of(zone)).max_by_key(|(zone, _)| zone.label_count())
    }

    /// Every anchored zone.
    pub fn zones(&self) -> impl Iterator<Item = &Name> {
        self.anchors.keys()
    }

    /// Turn validation off at and below `zone` until `expires`.
    pub fn add_negative(&mut self, zone: Name, expires: u64) {
        self.negative.retain(|n| n.zone != zone);
        self.negative.push(NegativeAnchor { zone, expires });
    }

    /// The negative anchor in force for `name` at time `now`, if any (the deepest).
    pub fn negative_for(&self, name: &Name, now: u64) -> Option<&NegativeAnchor> {
        self.negative
            .iter()
            .filter(|n| now < n.expires && name.is_subdomain_of(&n.zone))
            .max_by_key(|n| n.zone.label_count())
    }

    /// Every negative anchor, expired or not.
    pub fn negatives(&self) -> &[NegativeAnchor] {
        &self.negative
    }

    /// Remove the negative anchor of exactly `zone`; true if there was one.
    pub fn remove_negative(&mut self, zone: &Name) -> bool {
        let before = self.negative.len();
        self.negative.retain(|n| n.zone != *zone);
        self.negative.len() != before
    }

    /// Drop negative anchors that expired by `now`; returns those dropped.
    pub fn expire_negative(&mut self, now: u64) -> Vec<NegativeAnchor> {
        let (gone, keep) = self.negative.drain(..).partition(|n| n.expires <= now);
        self.negative = keep;
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn builtin_root_has_both_ksks() {
        let a = Anchors::iana_root();
        let root = a.get(&Name::root()).unwrap();
        let tags: Vec<u16> = root.ds.iter().map(|d| d.key_tag).collect();
        assert_eq!(tags, [20326, 38696]);
        assert!(root.ds.iter().all(|d| d.algorithm.0 == 8 && d.digest_type == 2 && d.digest.len() == 32));
        assert_eq!(a.closest(&n("www.example.com.")).map(|(z, _)| z.clone()), Some(Name::root()));
    }

    #[test]
    fn closest_anchor_and_negative_anchors() {
        let mut a = Anchors::iana_root();
        let text = "example.com. DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n";
        a.add_records(&parse_zone(text, None).unwrap()).unwrap();
        assert_eq!(a.closest(&n("www.example.com.")).map(|(z, _)| z.clone()), Some(n("example.com.")));
        assert_eq!(a.closest(&n("example.org.")).map(|(z, _)| z.clone()), Some(Name::root()));
        a.add_negative(n("broken.example."), 1000);
        assert_eq!(a.negative_for(&n("www.broken.example."), 999).map(|x| x.expires), Some(1000));
        assert!(a.negative_for(&n("www.broken.example."), 1000).is_none());
        assert!(a.negative_for(&n("example."), 10).is_none());
        assert_eq!(a.expire_negative(1000).len(), 1);
        assert!(a.negative_for(&n("broken.example."), 1).is_none());
    }

    #[test]
    fn files_load_with_or_without_ttl_and_reject_non_zone_keys() {
        let dir = std::env::temp_dir().join(format!("candor-anchor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("root.key");
        std::fs::write(&f, "; unbound-style\n.\t172800\tIN\tDNSKEY\t257 3 8 AwEAAaz/tAm8yTn4Mfeh\n").unwrap();
        let a = Anchors::from_file(&f).unwrap();
        assert_eq!(a.get(&Name::root()).unwrap().keys.len(), 1);
        std::fs::write(&f, ". DNSKEY 256 3 8 AwEAAaz/tAm8yTn4Mfeh\n. DNSKEY 1 3 8 AwEAAaz/tAm8yTn4Mfeh\n").unwrap();
        assert!(matches!(Anchors::from_file(&f), Err(AnchorError::NotZoneKey { flags: 1, .. })));
        std::fs::write(&f, "; nothing\n. A 192.0.2.1\n").unwrap();
        assert!(matches!(Anchors::from_file(&f), Err(AnchorError::Empty { .. })));
        std::fs::write(&f, ". DS 20326 8 2 E06D\n(\n").unwrap();
        assert!(matches!(Anchors::from_file(&f), Err(AnchorError::Zone(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
