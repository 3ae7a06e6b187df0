//! The evidence each broken case's EDE extra-text must contain, derived
//! from the built zones themselves (the DS the parent publishes, the keys
//! and signatures the child serves, its NSEC3 parameters, the server's
//! address and behaviour), not written by hand: a resolver whose text
//! lacks one of these strings has not named the broken link.

use candor_crypto::{key_tag, nsec3_hash};
use candor_wire::text::{base32hex_encode, hex_encode};
use candor_wire::{Dnskey, Ds, Name, RData, RType, Record, Rrsig, Timestamp};

use crate::build::Lab;
use crate::catalog::{Breakage, Case, Verdict};

fn iso(t: u32) -> String {
    Timestamp(t).iso8601()
}

impl Lab {
    /// The records of the zone `origin`, if the lab built it.
    fn zone_records(&self, origin: &Name) -> &[Record] {
        self.zones.iter().find(|z| z.origin == *origin).map_or(&[], |z| &z.records)
    }

    /// The strings the extra-text of `case` (asked as `qname`) must
    /// contain; empty for cases that validate without an EDE.
    pub fn evidence(&self, case: &Case, qname: &Name) -> Vec<String> {
        if case.ede.is_none() || case.verdict == Verdict::Secure {
            return Vec::new();
        }
        let Some(origin) = self.case_origin(case) else { return Vec::new() };
        let zone = self.zone_records(&origin);
        // A CNAME into another case's zone: the hop, then that zone's evidence.
        if let Some(target) = zone.iter().find_map(|r| match &r.data {
            RData::Cname(t) if r.owner == *qname => Some(t.clone()),
            _ => None,
        }) {
            let mut v = vec![format!("{qname} -> {target}")];
            if let Some((c, q)) = self.cases.iter().find(|(c, _)| self.case_origin(c).as_ref() == Some(&target)) {
                v.extend(self.evidence(c, q));
            }
            return v;
        }
        let parent: Name = origin.parent().unwrap_or_else(Name::root);
        let ds: Vec<&Ds> = self
            .zone_records(&parent)
            .iter()
            .filter_map(|r| match &r.data {
                RData::Ds(d) if r.owner == origin => Some(d),
                _ => None,
            })
            .collect();
        let keys: Vec<&Dnskey> = zone
            .iter()
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) if r.owner == origin => Some(k),
                _ => None,
            })
            .collect();
        let sigs = |owner: &Name, t: RType| -> Vec<&Rrsig> {
            zone.iter()
                .filter_map(|r| match &r.data {
                    RData::Rrsig(s) if r.owner == *owner && s.type_covered == t => Some(s),
                    _ => None,
                })
                .collect()
        };
        let now = (self.config.now as i64 + case.clock_offset) as u32;
        let tag_alg = |k: &Dnskey| format!("{}/{}", key_tag(k), k.algorithm.0);
        let ds_names = || ds.iter().map(|d| format!("DS {}/{}", d.key_tag, d.algorithm.0)).collect::<Vec<_>>();
        // The RRset a whole-zone breakage shows first: the DNSKEY RRset.
        let broken_type = case
            .breakage
            .iter()
            .find_map(|b| match b {
                Breakage::Window { rtype, .. } => Some(rtype.unwrap_or(RType::DNSKEY)),
                Breakage::DropRrsigs(t) => Some(t.unwrap_or(RType::DNSKEY)),
                Breakage::CorruptRrsig(t, _) => Some(*t),
                Breakage::DropDnskeyRrsigBy(_) => Some(RType::DNSKEY),
                Breakage::CorruptNsec3Rrsigs | Breakage::DropNsec3Rrsigs => Some(RType::NSEC3),
                _ => None,
            })
            .unwrap_or(case.qtype);
        let broken_owner = if broken_type == RType::DNSKEY { origin.clone() } else { qname.clone() };
        let broken_sigs = sigs(&broken_owner, broken_type);
        let mut v = Vec::new();
        match case.kind {
            "ds-no-matching-key" => {
                v.extend(ds_names());
                let ksk: Vec<&&Dnskey> = keys.iter().filter(|k| k.is_sep()).collect();
                if ksk.is_empty() {
                    v.extend(keys.iter().map(|k| tag_alg(k)));
                } else {
                    v.extend(ksk.iter().map(|k| tag_alg(k)));
                }
                for d in &ds {
                    let unrevoked = |k: &Dnskey| key_tag(&Dnskey { flags: k.flags & !Dnskey::REVOKE, ..k.clone() });
                    let same = keys.iter().find(|k| unrevoked(k) == d.key_tag);
                    v.push(match same {
                        Some(k) if k.is_revoked() => "revoked".to_owned(),
                        Some(k) if k.algorithm == d.algorithm => "not its digest".to_owned(),
                        Some(k) => format!("is algorithm {}", k.algorithm.0),
                        None => "names no key".to_owned(),
                    });
                }
            }
            "ds-unsigned-zone" => {
                v.extend(ds_names());
                v.push("serves no DNSKEY".to_owned());
            }
            "signature-expired" | "signature-not-yet-valid" | "signature-expiration-before-inception" => {
                if let Some(s) = broken_sigs.first() {
                    v.push(format!("{broken_owner}/{broken_type}"));
                    v.push(format!("RRSIG {}/{}", s.key_tag, s.algorithm.0));
                    v.push(iso(if case.kind == "signature-not-yet-valid" { s.inception } else { s.expiration }));
                    // The reading itself is the resolver's (another process
                    // may ask at another second): that one is given.
                    if case.kind != "signature-expiration-before-inception" {
                        v.push("the clock here reads 20".to_owned());
                    }
                }
            }
            "clock-ahead" | "clock-behind" => {
                let root = self.zone_records(&Name::root());
                if let Some(s) = root.iter().find_map(|r| match &r.data {
                    RData::Rrsig(s) if r.owner.is_root() && s.type_covered == RType::DNSKEY => Some(s),
                    _ => None,
                }) {
                    v.push(iso(if case.kind == "clock-ahead" { s.expiration } else { s.inception }));
                }
                v.push(format!("the local clock ({})", iso(now)));
            }
            "rrsig-missing" => {
                // An NSEC3 record is named by its hashed owner.
                v.push(if broken_type == RType::NSEC3 {
                    "/NSEC3".to_owned()
                } else {
                    format!("{broken_owner}/{broken_type}")
                });
                v.push("no RRSIG".to_owned());
                if broken_type == RType::DNSKEY {
                    v.extend(keys.iter().filter(|k| k.is_sep()).map(|k| tag_alg(k)));
                }
            }
            "signature-invalid" => {
                let tags: Vec<String> =
                    broken_sigs.iter().map(|s| format!("RRSIG {}/{}", s.key_tag, s.algorithm.0)).collect();
                // With several signatures over the RRset, the text names the one that failed.
                if tags.len() == 1 {
                    v.extend(tags);
                }
                v.push("does not verify".to_owned());
                // Attack zones: keys sharing one tag, a flood of signatures
                // (over the wildcard the names expand).
                let mut tags: Vec<u16> = keys.iter().map(|k| key_tag(k)).collect();
                tags.sort_unstable();
                if let Some((tag, n)) = tags
                    .chunk_by(|a, b| a == b)
                    .map(|c| (c.first().copied().unwrap_or(0), c.len()))
                    .max_by_key(|(_, n)| *n)
                    .filter(|(_, n)| *n > 2)
                {
                    v.push(format!("{n} keys share tag {tag}"));
                }
                let flood = origin.wildcard().ok().map_or(0, |w| sigs(&w, case.qtype).len());
                if flood > 8 {
                    v.push("RRSIGs came with it".to_owned());
                    v.push("the rest were not tried".to_owned());
                }
            }
            "dnskey-missing" if keys.is_empty() => v.push("serves no DNSKEY".to_owned()),
            "dnskey-missing" => {
                v.extend(
                    sigs(qname, case.qtype).iter().map(|s| format!("signed by key {}/{}", s.key_tag, s.algorithm.0)),
                );
                v.extend(keys.iter().map(|k| tag_alg(k)));
            }
            "no-zone-key-bit" => {
                for k in keys.iter().filter(|k| !k.is_zone_key()) {
                    v.push(tag_alg(k));
                    v.push(format!("flags {}", k.flags));
                }
            }
            "unsupported-algorithm" | "unsupported-digest" => {
                v.extend(ds.iter().map(|d| format!("{}/{}", d.key_tag, d.algorithm.0)));
            }
            "nsec3-gap" => {
                if let Some((salt, iterations)) = nsec3_params(zone).first() {
                    let hash = base32hex_encode(&nsec3_hash(qname, salt, *iterations)).to_ascii_uppercase();
                    v.push(format!("hash {hash} of {qname}"));
                    v.push("NSEC3 received".to_owned());
                }
            }
            "nsec3-parameter-mismatch" => {
                for (salt, iterations) in nsec3_params(zone) {
                    v.push(format!("iterations {iterations} salt {}", hex_encode(&salt).to_ascii_uppercase()));
                }
            }
            "nsec-missing" => {
                v.push(qname.to_string());
                v.push("no NSEC or NSEC3 records".to_owned());
            }
            "nsec-bitmap-has-type" => {
                v.push(format!("{qname}/{}", case.qtype));
                v.push(format!("type bitmap at {qname} contains {}", case.qtype));
            }
            "resolution-budget" => {
                // The first hop, from the wildcard that starts the chain.
                let wildcard = origin.wildcard().ok();
                if let Some(t) = zone.iter().find_map(|r| match &r.data {
                    RData::Cname(t) if Some(&r.owner) == wildcard.as_ref() => Some(t),
                    _ => None,
                }) {
                    v.push(format!("{qname} -> {t}"));
                }
                v.push("CNAME chain length".to_owned());
            }
            "nsec3-iterations-above-cap" => {
                if let Some((_, iterations)) = nsec3_params(zone).first() {
                    v.push(format!("{iterations} iterations"));
                }
            }
            "no-reachable-authority" | "authority-error" => match (case.glue, self.case_addr(case)) {
                (Some(glue), _) => v.push(format!("never queried: {glue}")),
                (None, Some(addr)) => {
                    let what = match case.behavior {
                        b if b.refuse => "REFUSED",
                        b if b.servfail => "SERVFAIL",
                        // Its referral goes back to the root (authority.rs).
                        b if b.no_aa => "lame (a referral to .,",
                        _ if !case.listening => "timed out",
                        _ => "",
                    };
                    v.push(format!("ns.{origin} at {addr}:{}", self.config.port));
                    if !what.is_empty() {
                        v.push(format!("{addr}:{} {what}", self.config.port));
                    }
                }
                (None, None) => {}
            },
            _ => {}
        }
        v
    }

    /// The zone a case's name stands for, `<name>.test.`.
    fn case_origin(&self, case: &Case) -> Option<Name> {
        let test: Name = "test.".parse().ok()?;
        test.prepend(case.name.as_bytes()).ok()
    }

    /// The address the parent's glue gives a case's server.
    fn case_addr(&self, case: &Case) -> Option<std::net::Ipv4Addr> {
        let origin = self.case_origin(case)?;
        let ns = origin.prepend(b"ns").ok()?;
        self.zone_records(&origin.parent()?).iter().find_map(|r| match r.data {
            RData::A(a) if r.owner == ns => Some(a),
            _ => None,
        })
    }
}

/// Each distinct (salt, iterations) of the zone's NSEC3 records.
fn nsec3_params(zone: &[Record]) -> Vec<(Vec<u8>, u16)> {
    let mut v: Vec<(Vec<u8>, u16)> = Vec::new();
    for r in zone {
        if let RData::Nsec3(n) = &r.data
            && !v.iter().any(|(s, i)| *s == n.salt && *i == n.iterations)
        {
            v.push((n.salt.clone(), n.iterations));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use crate::{Lab, LabConfig};

    #[test]
    fn every_case_with_an_ede_has_evidence_derived_from_its_zone() {
        let lab = Lab::build(LabConfig::new(1_800_000_000)).unwrap_or_else(|e| panic!("lab: {e}"));
        let mut without = Vec::new();
        for (case, qname) in &lab.cases {
            let ev = lab.evidence(case, qname);
            println!("{:<28} {}", case.name, ev.join(" | "));
            if case.ede.is_some() && ev.is_empty() {
                without.push(case.name.clone());
            }
        }
        assert!(without.is_empty(), "cases without evidence: {without:?}");
        let ds_bad_tag = lab.cases.iter().find(|(c, _)| c.name == "ds-bad-tag").map(|(c, q)| lab.evidence(c, q));
        let ev = ds_bad_tag.unwrap_or_default();
        // The DS's tag, the KSK's tag (another), and which mismatch.
        assert!(ev.len() == 3 && ev[0].starts_with("DS ") && ev[2] == "names no key", "{ev:?}");
        assert_ne!(ev[0].trim_start_matches("DS "), ev[1], "{ev:?}");
    }
}
