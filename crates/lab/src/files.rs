//! The files `candor lab --out DIR` writes: zone files, root hints, the
//! trust anchor in two forms, and the case list.

use std::fmt::Write as _;
use std::path::Path;

use candor_wire::{RData, Record};

use crate::LabError;
use crate::build::Lab;

fn write(dir: &Path, name: &str, text: &str) -> Result<(), LabError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| LabError::Write { path, kind: e.kind() })
}

/// Write the lab into `dir`: `zones/<zone>.zone` for every zone,
/// `root.hints` (named.root format), `root.key` (the root DS as zone text,
/// the form of a trust-anchor file), `root.anchors.conf` (BIND's
/// `trust-anchors` clause, for `delv -a`), `cases.tsv`.
pub fn write_files(lab: &Lab, dir: &Path) -> Result<(), LabError> {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).map_err(|e| LabError::Write { path: zones.clone(), kind: e.kind() })?;
    for z in &lab.zones {
        let file = if z.origin.is_root() { "root.zone".to_owned() } else { format!("{}zone", z.origin) };
        let mut text = format!("; candor lab zone {}\n$ORIGIN {}\n", z.origin, z.origin);
        for r in &z.records {
            let _ = writeln!(text, "{r}");
        }
        write(&zones, &file, &text)?;
    }
    write_anchor_files(lab, dir)?;
    let mut tsv =
        String::from("case\tqname\tqtype\tverdict\tede\tkind\tdescription\tclock_offset\tevidence\tglue\thardened\n");
    let ede = |e: Option<u16>| e.map_or_else(|| "-".to_owned(), |e| e.to_string());
    for (c, qname) in &lab.cases {
        let _ = writeln!(
            tsv,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.name,
            qname,
            c.qtype,
            c.verdict.as_str(),
            ede(c.ede),
            c.kind,
            c.description,
            c.clock_offset,
            // What the case's extra-text must contain, " | " between items.
            lab.evidence(c, qname).join(" | "),
            // A special-purpose glue address a resolver must never query.
            c.glue.unwrap_or("-"),
            // The verdict/EDE under harden-algo-downgrade, where it differs.
            c.hardened.map_or_else(|| "-".to_owned(), |(v, e)| format!("{}/{}", v.as_str(), ede(e)))
        );
    }
    write(dir, "cases.tsv", &tsv)
}

/// Write what a resolver needs to use the lab into `dir`: `root.hints`,
/// `root.key` and `root.anchors.conf` (the zones are served, not read).
pub fn write_anchor_files(lab: &Lab, dir: &Path) -> Result<(), LabError> {
    let root = lab.zones.first();
    let mut hints = String::from("; candor lab root hints\n");
    if let Some(root) = root {
        for r in root.records.iter().filter(|r| r.owner.is_root() && r.rtype() == candor_wire::RType::NS) {
            let _ = writeln!(hints, ".\t3600000\tNS\t{}", r.data);
            if let RData::Ns(ns) = &r.data {
                for a in root.records.iter().filter(|a| a.owner == *ns && a.rtype() == candor_wire::RType::A) {
                    let _ = writeln!(hints, "{}\t3600000\tA\t{}", ns, a.data);
                }
            }
        }
    }
    write(dir, "root.hints", &hints)?;
    let mut key = String::from("; candor lab root trust anchor\n");
    let mut conf = String::from("trust-anchors {\n");
    for ds in &lab.root_ds {
        let r = Record::new(candor_wire::Name::root(), 3600, RData::Ds(ds.clone()));
        let _ = writeln!(key, "{r}");
        let _ = writeln!(
            conf,
            "\t. static-ds {} {} {} \"{}\";",
            ds.key_tag,
            ds.algorithm.0,
            ds.digest_type,
            candor_wire::text::hex_encode(&ds.digest)
        );
    }
    conf.push_str("};\n");
    write(dir, "root.key", &key)?;
    write(dir, "root.anchors.conf", &conf)
}
