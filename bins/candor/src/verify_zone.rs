//! `candor verify-zone FILE --origin ZONE [--ds FILE] [--warn-days N]`:
//! an offline check of a signed zone file, like `dnssec-verify`, plus the
//! expiry monitoring operators script by hand. Every RRSIG verifies and
//! is inside its window; every authoritative RRset is signed by an active
//! key of each algorithm in the DNSKEY set (the DNSKEY RRset by a KSK);
//! the NSEC or NSEC3 chain covers every name, in order, with truthful
//! bitmaps, and NSEC3PARAM names it; the DS (if given) matches a KSK; and
//! the earliest expiry is reported, a warning within `--warn-days`.
//!
//! One line per finding (`--json`: the same as data). Exit status: 0 clean,
//! 1 warnings only, 2 errors, 64 usage.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use candor_crypto::{Policy, PublicKey, RING, RrsigError, ds_matches, key_tag, nsec3_hash, verify_rrsig};
use candor_wire::text::{base32hex_encode, parse_zone};
use candor_wire::{Algorithm, Dnskey, Ds, Name, RData, RType, Record, Rrsig};

use crate::VerifyZoneArgs;
use crate::trace::{iso, js};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One finding: its level, a stable kind id (the resolver's failure kind
/// ids where one fits), the RRset, and the evidence.
#[derive(Debug, Clone)]
struct Finding {
    level: Level,
    kind: &'static str,
    rrset: Option<(Name, RType)>,
    text: String,
}

fn days(secs: i64) -> String {
    let a = secs.unsigned_abs();
    if a >= 2 * 86_400 { format!("{} days", a / 86_400) } else { format!("{} hours", a / 3600) }
}

/// Seconds from `now` to wire time `t` (RFC 1982: the nearest such instant).
fn until(t: u32, now: u64) -> i64 {
    i64::from(t.wrapping_sub(now as u32) as i32)
}

/// The checker's state: the zone's records sorted into RRsets.
struct Zone {
    origin: Name,
    rrsets: BTreeMap<(Name, RType), Vec<Record>>,
    sigs: BTreeMap<(Name, RType), Vec<Rrsig>>,
    cuts: BTreeSet<Name>,
    keys: Vec<(Dnskey, u16)>,
}

impl Zone {
    fn new(origin: Name, records: Vec<Record>, findings: &mut Vec<Finding>) -> Zone {
        let mut rrsets: BTreeMap<(Name, RType), Vec<Record>> = BTreeMap::new();
        let mut sigs: BTreeMap<(Name, RType), Vec<Rrsig>> = BTreeMap::new();
        for r in records {
            if !r.owner.is_subdomain_of(&origin) {
                findings.push(Finding {
                    level: Level::Error,
                    kind: "out-of-zone",
                    rrset: Some((r.owner.clone(), r.rtype())),
                    text: format!("{} is not in {origin}", r.owner),
                });
                continue;
            }
            match &r.data {
                RData::Rrsig(s) => sigs.entry((r.owner.clone(), s.type_covered)).or_default().push(s.clone()),
                _ => rrsets.entry((r.owner.clone(), r.rtype())).or_default().push(r),
            }
        }
        let cuts = rrsets.keys().filter(|(o, t)| *t == RType::NS && *o != origin).map(|(o, _)| o.clone()).collect();
        let keys = rrsets
            .get(&(origin.clone(), RType::DNSKEY))
            .map(|set| {
                set.iter()
                    .filter_map(|r| match &r.data {
                        RData::Dnskey(k) => Some((k.clone(), key_tag(k))),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Zone { origin, rrsets, sigs, cuts, keys }
    }

    /// Below a delegation (glue or occluded data)?
    fn occluded(&self, name: &Name) -> bool {
        self.cuts.iter().any(|c| name != c && name.is_subdomain_of(c))
    }

    /// Is this RRset the zone's own (signed) data?
    fn authoritative(&self, owner: &Name, t: RType) -> bool {
        if self.occluded(owner) {
            return false;
        }
        !self.cuts.contains(owner) || matches!(t, RType::DS | RType::NSEC)
    }

    /// The names that exist in the zone (NSEC3 owners aside), in canonical order.
    fn names(&self) -> BTreeSet<Name> {
        self.rrsets
            .keys()
            .filter(|(o, t)| *t != RType::NSEC3 && !self.occluded(o))
            .map(|(o, _)| o.clone())
            .filter(|o| self.rrsets.keys().any(|(n, t)| n == o && *t != RType::NSEC3))
            .collect()
    }

    /// The types at `name` a denial bitmap must list.
    fn types_at(&self, name: &Name, denial: RType) -> BTreeSet<RType> {
        let mut types: BTreeSet<RType> = self
            .rrsets
            .keys()
            .filter(|(o, t)| o == name && *t != RType::NSEC3 && *t != RType::NSEC)
            .map(|(_, t)| *t)
            .collect();
        if denial == RType::NSEC {
            types.insert(RType::NSEC);
        }
        let signed = types.iter().any(|t| self.authoritative(name, *t));
        if signed || denial == RType::NSEC {
            types.insert(RType::RRSIG);
        }
        types
    }
}

fn rrsig_finding(e: &RrsigError, owner: &Name, t: RType, s: &Rrsig, now: u64) -> Finding {
    let who = format!("RRSIG {}/{} over {owner}/{t}", s.key_tag, s.algorithm.0);
    let (kind, text) = match e {
        RrsigError::Expired { expiration, .. } => (
            "signature-expired",
            format!("{who} expired {} ({} ago); re-sign the zone", iso(*expiration), days(until(*expiration, now))),
        ),
        RrsigError::NotYetValid { inception, .. } => (
            "signature-not-yet-valid",
            format!(
                "{who} is not valid before {} (in {}); check the signer's clock",
                iso(*inception),
                days(until(*inception, now))
            ),
        ),
        RrsigError::ExpirationBeforeInception { inception, expiration, .. } => (
            "signature-expiration-before-inception",
            format!("{who} expires {} before its inception {}", iso(*expiration), iso(*inception)),
        ),
        RrsigError::NotZoneKey { key_tag } => {
            ("no-zone-key-bit", format!("{who}: DNSKEY {key_tag} lacks the zone-key flag (256 or 257)"))
        }
        RrsigError::Revoked { key_tag } => ("dnskey-revoked", format!("{who}: DNSKEY {key_tag} is revoked")),
        other => ("signature-invalid", format!("{who} does not verify: {other}")),
    };
    Finding { level: Level::Error, kind, rrset: Some((owner.clone(), t)), text }
}

/// Check every RRSIG and every authoritative RRset's coverage; returns
/// the earliest expiry among the signatures that verify.
fn check_signatures(z: &Zone, now: u64, findings: &mut Vec<Finding>) -> Option<(u32, Name, RType)> {
    let mut earliest: Option<(u32, Name, RType)> = None;
    // Algorithms an authoritative RRset must be signed with: those of the
    // zone keys we can use (RFC 4035 §2.2; RFC 6840 §5.11).
    let mut algorithms: BTreeSet<Algorithm> = BTreeSet::new();
    for (k, tag) in &z.keys {
        if !k.is_zone_key() || k.is_revoked() {
            continue;
        }
        // Checked under the legacy policy (is the zone signed right?); an
        // algorithm validators no longer accept is a warning of its own.
        if PublicKey::from_dnskey(k, Policy::PRODUCTION).is_err() && PublicKey::from_dnskey(k, Policy::LEGACY).is_ok() {
            findings.push(Finding {
                level: Level::Warning,
                kind: "deprecated-algorithm",
                rrset: Some((z.origin.clone(), RType::DNSKEY)),
                text: format!(
                    "DNSKEY {tag} uses algorithm {} (or a key size) that validators treat as insecure (RFC 8624, RFC 9905); roll to algorithm 13 or 15",
                    k.algorithm.0
                ),
            });
        }
        match PublicKey::from_dnskey(k, Policy::LEGACY) {
            Ok(_) => {
                algorithms.insert(k.algorithm);
            }
            Err(e) => findings.push(Finding {
                level: Level::Warning,
                kind: "unsupported-algorithm",
                rrset: Some((z.origin.clone(), RType::DNSKEY)),
                text: format!("DNSKEY {tag} (algorithm {}) cannot be checked here: {e}", k.algorithm.0),
            }),
        }
    }
    for ((owner, t), set) in &z.rrsets {
        let sigs = z.sigs.get(&(owner.clone(), *t)).map(Vec::as_slice).unwrap_or(&[]);
        let mut good: BTreeSet<Algorithm> = BTreeSet::new();
        let mut good_by_sep: BTreeSet<Algorithm> = BTreeSet::new();
        let mut failed: BTreeSet<Algorithm> = BTreeSet::new();
        for s in sigs {
            let candidates: Vec<&(Dnskey, u16)> =
                z.keys.iter().filter(|(k, tag)| *tag == s.key_tag && k.algorithm == s.algorithm).collect();
            if candidates.is_empty() {
                failed.insert(s.algorithm);
                findings.push(Finding {
                    level: Level::Error,
                    kind: "dnskey-missing",
                    rrset: Some((owner.clone(), *t)),
                    text: format!(
                        "RRSIG {}/{} over {owner}/{t}: no DNSKEY with that tag and algorithm in {}",
                        s.key_tag, s.algorithm.0, z.origin
                    ),
                });
                continue;
            }
            let mut first_err = None;
            let mut ok = false;
            for (k, _) in &candidates {
                let public = match PublicKey::from_dnskey(k, Policy::LEGACY) {
                    Ok(p) => p,
                    Err(_) => {
                        ok = true; // reported once above, as unsupported
                        break;
                    }
                };
                match verify_rrsig(set, s, &z.origin, k, &public, now, &RING) {
                    Ok(()) => {
                        ok = true;
                        good.insert(s.algorithm);
                        if k.is_sep() {
                            good_by_sep.insert(s.algorithm);
                        }
                        if earliest.as_ref().is_none_or(|(e, _, _)| until(s.expiration, now) < until(*e, now)) {
                            earliest = Some((s.expiration, owner.clone(), *t));
                        }
                        break;
                    }
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            if !ok && let Some(e) = first_err {
                failed.insert(s.algorithm);
                findings.push(rrsig_finding(&e, owner, *t, s, now));
            }
        }
        if !z.authoritative(owner, *t) {
            continue;
        }
        for alg in &algorithms {
            if !good.contains(alg) && !failed.contains(alg) {
                let text = if sigs.is_empty() {
                    format!("{owner}/{t} has no RRSIG; sign the zone completely")
                } else {
                    format!("{owner}/{t} has no signature by a key of algorithm {}", alg.0)
                };
                findings.push(Finding {
                    level: Level::Error,
                    kind: "rrsig-missing",
                    rrset: Some((owner.clone(), *t)),
                    text,
                });
            }
        }
        // The DNSKEY RRset must be signed by a KSK of each algorithm that has one.
        if *t == RType::DNSKEY && *owner == z.origin {
            for alg in &algorithms {
                let has_ksk = z.keys.iter().any(|(k, _)| k.algorithm == *alg && k.is_sep() && !k.is_revoked());
                if has_ksk && good.contains(alg) && !good_by_sep.contains(alg) {
                    findings.push(Finding {
                        level: Level::Error,
                        kind: "rrsig-missing",
                        rrset: Some((owner.clone(), *t)),
                        text: format!("the DNSKEY RRset has no valid signature by a KSK of algorithm {}", alg.0),
                    });
                }
            }
        }
    }
    // Keys: a signed zone needs a zone key, and an active KSK if it has KSKs.
    let zone_keys = z.keys.iter().filter(|(k, _)| k.is_zone_key()).count();
    if !z.keys.is_empty() && zone_keys == 0 {
        findings.push(Finding {
            level: Level::Error,
            kind: "no-zone-key-bit",
            rrset: Some((z.origin.clone(), RType::DNSKEY)),
            text: "no DNSKEY has the zone-key flag (256 or 257)".to_owned(),
        });
    }
    let seps: Vec<&(Dnskey, u16)> = z.keys.iter().filter(|(k, _)| k.is_sep()).collect();
    if !seps.is_empty() && seps.iter().all(|(k, _)| k.is_revoked()) {
        let tags: Vec<String> = seps.iter().map(|(_, t)| t.to_string()).collect();
        findings.push(Finding {
            level: Level::Error,
            kind: "dnskey-missing",
            rrset: Some((z.origin.clone(), RType::DNSKEY)),
            text: format!("every KSK is revoked ({}); publish an active KSK and its DS", tags.join(", ")),
        });
    }
    if z.keys.is_empty() && z.sigs.is_empty() {
        findings.push(Finding {
            level: Level::Error,
            kind: "unsigned",
            rrset: Some((z.origin.clone(), RType::DNSKEY)),
            text: format!("{} has no DNSKEY and no RRSIG: the zone is not signed", z.origin),
        });
    } else if z.keys.is_empty() {
        findings.push(Finding {
            level: Level::Error,
            kind: "dnskey-missing",
            rrset: Some((z.origin.clone(), RType::DNSKEY)),
            text: format!("{} has signatures but no DNSKEY RRset at its apex", z.origin),
        });
    }
    earliest
}

fn bitmap_findings(z: &Zone, name: &Name, listed: &[RType], denial: RType, at: &Name, findings: &mut Vec<Finding>) {
    let present = z.types_at(name, denial);
    let listed: BTreeSet<RType> = listed.iter().copied().collect();
    for t in listed.difference(&present) {
        findings.push(Finding {
            level: Level::Error,
            kind: "nsec-bitmap-has-type",
            rrset: Some((at.clone(), denial)),
            text: format!("the {denial} bitmap for {name} lists {t}, which {name} does not have"),
        });
    }
    for t in present.difference(&listed) {
        findings.push(Finding {
            level: Level::Error,
            kind: "nsec-bitmap-missing-type",
            rrset: Some((at.clone(), denial)),
            text: format!("the {denial} bitmap for {name} omits {t}, which {name} has"),
        });
    }
}

fn check_nsec(z: &Zone, findings: &mut Vec<Finding>) {
    let names: Vec<Name> = z.names().into_iter().collect();
    for (i, name) in names.iter().enumerate() {
        let next = names.get(i + 1).unwrap_or(&z.origin);
        let nsec = z.rrsets.get(&(name.clone(), RType::NSEC)).and_then(|s| s.first()).and_then(|r| match &r.data {
            RData::Nsec(n) => Some(n),
            _ => None,
        });
        let Some(n) = nsec else {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec-missing",
                rrset: Some((name.clone(), RType::NSEC)),
                text: format!("{name} has no NSEC record"),
            });
            continue;
        };
        if n.next != *next {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec-gap",
                rrset: Some((name.clone(), RType::NSEC)),
                text: format!("the NSEC at {name} points to {}, but the next name is {next}", n.next),
            });
        }
        bitmap_findings(z, name, n.types.types(), RType::NSEC, name, findings);
    }
}

fn check_nsec3(z: &Zone, findings: &mut Vec<Finding>) {
    let nsec3s: Vec<(&Name, &candor_wire::Nsec3)> = z
        .rrsets
        .iter()
        .filter(|((_, t), _)| *t == RType::NSEC3)
        .flat_map(|((o, _), set)| {
            set.iter().filter_map(move |r| match &r.data {
                RData::Nsec3(n) => Some((o, n)),
                _ => None,
            })
        })
        .collect();
    let param =
        z.rrsets.get(&(z.origin.clone(), RType::NSEC3PARAM)).and_then(|s| s.first()).and_then(|r| match &r.data {
            RData::Nsec3param(p) => Some(p.clone()),
            _ => None,
        });
    let at_apex = Some((z.origin.clone(), RType::NSEC3PARAM));
    let chain_params = |n: &candor_wire::Nsec3| (n.hash_algorithm, n.iterations, n.salt.clone());
    // The chain to check: NSEC3PARAM's, else the most common parameters.
    let params = match &param {
        Some(p) => {
            let wanted = (p.hash_algorithm, p.iterations, p.salt.clone());
            if !nsec3s.iter().any(|(_, n)| chain_params(n) == wanted) {
                let (kind, text) = if nsec3s.is_empty() {
                    ("nsec-missing", "NSEC3PARAM is published but the zone has no NSEC3 chain".to_owned())
                } else {
                    (
                        "nsec3param-mismatch",
                        format!(
                            "NSEC3PARAM (iterations {}, salt {}) names no NSEC3 chain in the zone; servers will send negative answers without proof",
                            p.iterations,
                            salt_text(&p.salt)
                        ),
                    )
                };
                findings.push(Finding { level: Level::Error, kind, rrset: at_apex, text });
                return;
            }
            wanted
        }
        None => {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec3param-missing",
                rrset: at_apex,
                text: "NSEC3 records but no NSEC3PARAM at the apex: servers cannot find the chain".to_owned(),
            });
            let mut count: BTreeMap<(u8, u16, Vec<u8>), usize> = BTreeMap::new();
            for (_, n) in &nsec3s {
                *count.entry(chain_params(n)).or_default() += 1;
            }
            match count.into_iter().max_by_key(|(_, c)| *c) {
                Some((p, _)) => p,
                None => return,
            }
        }
    };
    let (_, iterations, salt) = params.clone();
    let mut chain: BTreeMap<String, (&Name, &candor_wire::Nsec3)> = BTreeMap::new();
    for (owner, n) in &nsec3s {
        if chain_params(n) != params {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec3-parameter-mismatch",
                rrset: Some(((*owner).clone(), RType::NSEC3)),
                text: format!(
                    "NSEC3 at {owner} uses iterations {} salt {}, the chain uses iterations {iterations} salt {}",
                    n.iterations,
                    salt_text(&n.salt),
                    salt_text(&salt)
                ),
            });
            continue;
        }
        let label = owner.first_label().map(|l| String::from_utf8_lossy(l).to_ascii_lowercase()).unwrap_or_default();
        chain.insert(label, (owner, n));
    }
    let opt_out = chain.values().any(|(_, n)| n.flags & 1 != 0);
    // Every name, and every empty non-terminal between it and the apex.
    let mut names: BTreeSet<Name> = BTreeSet::new();
    for name in z.names() {
        let insecure_cut = z.cuts.contains(&name) && !z.rrsets.contains_key(&(name.clone(), RType::DS));
        if opt_out && insecure_cut {
            continue;
        }
        let mut n = name.clone();
        while n.label_count() > z.origin.label_count() {
            names.insert(n.clone());
            match n.parent() {
                Some(p) => n = p,
                None => break,
            }
        }
        names.insert(z.origin.clone());
    }
    let mut expected: BTreeMap<String, Name> = BTreeMap::new();
    for name in &names {
        let h = base32hex_encode(&nsec3_hash(name, &salt, iterations)).to_ascii_lowercase();
        match chain.get(&h) {
            None => findings.push(Finding {
                level: Level::Error,
                kind: "nsec3-gap",
                rrset: Some((name.clone(), RType::NSEC3)),
                text: format!("{name} (hash {h}) has no NSEC3 record: the chain has a gap"),
            }),
            Some((owner, n)) => bitmap_findings(z, name, n.types.types(), RType::NSEC3, owner, findings),
        }
        expected.insert(h, name.clone());
    }
    let hashes: Vec<&String> = chain.keys().collect();
    for (i, h) in hashes.iter().enumerate() {
        let Some((owner, n)) = chain.get(*h) else { continue };
        if !expected.contains_key(*h) && !opt_out {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec3-gap",
                rrset: Some(((*owner).clone(), RType::NSEC3)),
                text: format!("NSEC3 {owner} matches no name in the zone (a wrong owner hash?)"),
            });
        }
        let next = hashes.get(i + 1).or(hashes.first()).map(|s| s.as_str()).unwrap_or("");
        let got = base32hex_encode(&n.next_hashed).to_ascii_lowercase();
        if got != next {
            findings.push(Finding {
                level: Level::Error,
                kind: "nsec3-gap",
                rrset: Some(((*owner).clone(), RType::NSEC3)),
                text: format!("NSEC3 {owner} points to {got}, but the next hash in the chain is {next}"),
            });
        }
    }
}

fn salt_text(s: &[u8]) -> String {
    if s.is_empty() { "-".to_owned() } else { candor_wire::text::hex_encode(s) }
}

fn check_ds(z: &Zone, ds: &[Ds], findings: &mut Vec<Finding>) {
    if ds.iter().all(|d| !candor_crypto::digest_supported(d.digest_type)) {
        findings.push(Finding {
            level: Level::Warning,
            kind: "unsupported-digest",
            rrset: Some((z.origin.clone(), RType::DS)),
            text: "no DS uses a digest type this tool supports (1, 2 or 4); the DS cannot be checked".to_owned(),
        });
        return;
    }
    let matches: Vec<&Ds> = ds
        .iter()
        .filter(|d| z.keys.iter().any(|(k, _)| k.is_zone_key() && ds_matches(d, &z.origin, k) == Ok(true)))
        .collect();
    let describe = |d: &Ds| format!("DS {} {} {}", d.key_tag, d.algorithm.0, d.digest_type);
    if matches.is_empty() {
        let list: Vec<String> = ds.iter().map(describe).collect();
        findings.push(Finding {
            level: Level::Error,
            kind: "ds-no-matching-key",
            rrset: Some((z.origin.clone(), RType::DS)),
            text: format!(
                "{} matches no DNSKEY of {}; publish a DS for a current KSK at the registrar",
                list.join(", "),
                z.origin
            ),
        });
        return;
    }
    for d in ds.iter().filter(|d| !matches.contains(d)) {
        findings.push(Finding {
            level: Level::Info,
            kind: "ds-unused",
            rrset: Some((z.origin.clone(), RType::DS)),
            text: format!("{} matches no DNSKEY (harmless beside the matching one)", describe(d)),
        });
    }
}

fn read_records(path: &std::path::Path, origin: &Name) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_zone(&text, Some(origin)).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn run(args: &VerifyZoneArgs) -> u8 {
    let origin: Name = match args.origin.parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("candor verify-zone: --origin {}: {e}", args.origin);
            return crate::EXIT_USAGE;
        }
    };
    let now = match crate::lab::parse_now(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("candor verify-zone: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let records = match read_records(&args.file, &origin) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("candor verify-zone: {e}");
            return 2;
        }
    };
    let ds: Option<Vec<Ds>> = match &args.ds {
        None => None,
        Some(p) => match read_records(p, &origin) {
            Ok(r) => Some(
                r.into_iter()
                    .filter(|r| r.owner == origin)
                    .filter_map(|r| match r.data {
                        RData::Ds(d) => Some(d),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => {
                eprintln!("candor verify-zone: --ds {e}");
                return crate::EXIT_USAGE;
            }
        },
    };
    let mut findings = Vec::new();
    let z = Zone::new(origin.clone(), records, &mut findings);
    let earliest = check_signatures(&z, now, &mut findings);
    let has_nsec = z.rrsets.keys().any(|(_, t)| *t == RType::NSEC);
    let has_nsec3 = z.rrsets.keys().any(|(_, t)| matches!(*t, RType::NSEC3 | RType::NSEC3PARAM));
    if has_nsec3 {
        check_nsec3(&z, &mut findings);
    } else if has_nsec {
        check_nsec(&z, &mut findings);
    } else if !z.keys.is_empty() {
        findings.push(Finding {
            level: Level::Error,
            kind: "nsec-missing",
            rrset: None,
            text: "the zone is signed but has neither an NSEC nor an NSEC3 chain".to_owned(),
        });
    }
    match &ds {
        Some(ds) if ds.is_empty() => findings.push(Finding {
            level: Level::Error,
            kind: "ds-missing",
            rrset: Some((origin.clone(), RType::DS)),
            text: format!("--ds has no DS records for {origin}"),
        }),
        Some(ds) => check_ds(&z, ds, &mut findings),
        None => {}
    }
    if let Some((exp, owner, t)) = &earliest {
        let left = until(*exp, now);
        let warn = left < i64::from(args.warn_days) * 86_400;
        findings.push(Finding {
            level: if warn { Level::Warning } else { Level::Info },
            kind: if warn { "signature-expiring" } else { "earliest-expiry" },
            rrset: Some((owner.clone(), *t)),
            text: format!(
                "the earliest RRSIG expiry is {} ({owner}/{t}), in {}{}",
                iso(*exp),
                days(left),
                if warn { format!("; within {} days: re-sign now", args.warn_days) } else { String::new() }
            ),
        });
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.level));
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.iter().filter(|f| f.level == Level::Warning).count();
    let verdict = if errors > 0 {
        "broken"
    } else if warnings > 0 {
        "warnings"
    } else {
        "ok"
    };
    let mut o = String::new();
    if args.json {
        let _ = write!(
            o,
            "{{\"zone\":{},\"verdict\":\"{verdict}\",\"errors\":{errors},\"warnings\":{warnings}",
            js(&origin.to_string())
        );
        o.push_str(",\"findings\":[");
        for (i, f) in findings.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{{\"level\":\"{}\",\"kind\":\"{}\"", f.level.word(), f.kind);
            if let Some((n, t)) = &f.rrset {
                let _ = write!(o, ",\"owner\":{},\"type\":{}", js(&n.to_string()), js(&t.to_string()));
            }
            let _ = write!(o, ",\"text\":{}}}", js(&f.text));
        }
        o.push_str("]}\n");
    } else {
        for f in &findings {
            let _ = writeln!(o, "{}: {}: {}", f.level.word(), f.kind, f.text);
        }
        let _ = writeln!(o, "{origin}: {verdict} ({errors} errors, {warnings} warnings)");
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout(), o.as_bytes());
    if errors > 0 {
        2
    } else if warnings > 0 {
        1
    } else {
        0
    }
}
