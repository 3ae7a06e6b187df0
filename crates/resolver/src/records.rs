//! Helpers over record sections: RRsets with their RRSIGs, duplicates,
//! DS rdata, DNAME rewrites, CNAME chain ends. Pure functions; a leaf
//! module.

use candor_wire::{Ds, Name, RData, RType, Record};

/// Whether `r` is a record of `owner`/`rtype` or an RRSIG over that RRset.
pub(crate) fn covers(r: &Record, owner: &Name, rtype: RType) -> bool {
    r.owner == *owner && (r.rtype() == rtype || matches!(&r.data, RData::Rrsig(s) if s.type_covered == rtype))
}

/// The `owner`/`rtype` RRset in `section` with its RRSIGs.
pub(crate) fn rrset_with_sigs(section: &[Record], owner: &Name, rtype: RType) -> Vec<Record> {
    section.iter().filter(|r| covers(r, owner, rtype)).cloned().collect()
}

/// (owner, type) of each RRset in a section, RRSIGs aside, in order.
pub(crate) fn rrset_keys(section: &[Record]) -> Vec<(Name, RType)> {
    let mut v: Vec<(Name, RType)> = Vec::new();
    for r in section.iter().filter(|r| r.rtype() != RType::RRSIG) {
        let k = (r.owner.clone(), r.rtype());
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

/// Drop repeated records (same owner, type, class and data), keeping the
/// first of each.
pub(crate) fn dedup_records(records: &mut Vec<Record>) {
    if records.len() <= SMALL {
        let same = |a: &Record, b: &Record| a.owner == b.owner && a.class == b.class && a.data == b.data;
        if !records.iter().enumerate().any(|(i, r)| records.iter().skip(i + 1).any(|o| same(r, o))) {
            return; // the usual case: nothing repeated, nothing rebuilt
        }
    }
    // Linear in the records (a response of thousands must not cost their
    // square): owner, class and data make a record, not its TTL.
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        records.iter().map(|r| seen.insert((&r.owner, r.class, &r.data))).collect()
    };
    let mut at = 0;
    records.retain(|_| {
        let k = keep.get(at).copied().unwrap_or(true);
        at += 1;
        k
    });
}

/// Sections this short are checked pairwise (cheaper than hashing).
const SMALL: usize = 16;

/// The DS rdata among `records`.
pub(crate) fn ds_of(records: &[Record]) -> Vec<Ds> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Ds(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// A negative answer's SOA lives no longer than its minimum field (RFC
/// 2308 §5).
pub(crate) fn cap_soa_ttl(records: &mut [Record]) {
    for r in records {
        if let RData::Soa(soa) = &r.data {
            r.ttl = r.ttl.min(soa.minimum);
        }
    }
}

/// An NS record or an RRSIG over one.
pub(crate) fn is_ns_or_sig(rr: &Record) -> bool {
    match &rr.data {
        RData::Rrsig(s) => s.type_covered == RType::NS,
        _ => rr.rtype() == RType::NS,
    }
}

/// The name a DNAME in `answers` rewrites `owner` to, if one applies.
pub(crate) fn dname_rewrite(answers: &[Record], owner: &Name) -> Option<Name> {
    answers.iter().find_map(|r| match &r.data {
        RData::Dname(target) if owner.is_subdomain_of(&r.owner) && *owner != r.owner => {
            let keep = owner.label_count() - r.owner.label_count();
            let labels: Vec<&[u8]> = owner.labels().take(keep).collect();
            labels.iter().rev().try_fold(target.clone(), |acc, l| acc.prepend(l).ok())
        }
        _ => None,
    })
}

/// The last name of the CNAME chain that starts at `qname` in `answers`.
pub(crate) fn chain_end(answers: &[Record], qname: &Name) -> Name {
    let mut name = qname.clone();
    for _ in 0..answers.len() {
        let next = answers.iter().find_map(|r| match &r.data {
            RData::Cname(t) if r.owner == name => Some(t.clone()),
            _ => None,
        });
        match next {
            Some(t) if t != name => name = t,
            _ => break,
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::text::parse_zone;

    #[test]
    fn duplicates_go_the_first_of_each_stays_small_sections_and_large() {
        for n in [3usize, 40] {
            let mut text = String::new();
            for i in 0..n {
                text.push_str(&format!("a.example. 300 A 192.0.2.{i}\n"));
            }
            // Each record again, with another TTL and another spelling.
            for i in 0..n {
                text.push_str(&format!("A.EXAMPLE. 60 A 192.0.2.{i}\n"));
            }
            let mut records = parse_zone(&text, None).unwrap();
            dedup_records(&mut records);
            assert_eq!(records.len(), n, "{n}");
            assert!(records.iter().all(|r| r.ttl == 300), "the first of each stays");
        }
    }
}
