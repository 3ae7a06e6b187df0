//! The admission gate: what of an authority's response may be used at all.
//! A pure function of (response, zone cut, question), run before anything
//! else reads an answer.

use candor_wire::{Message, Name, RData, RType, Rcode, Record};

use crate::records::dedup_records;

/// The admission gate: what of `msg`, a response from a server of `zone`
/// to `qname`/`qtype`, may be used at all. RRSIGs regrouped with their
/// RRsets; answer records outside the zone dropped (a CNAME target
/// elsewhere is asked of its own zone); NSEC records that reach outside
/// the zone, and other zones' denial records, dropped; records of a zone
/// below the cut that the same server serves kept only when the question
/// is in that zone; answer records of types nobody asked for dropped, and
/// of a CNAME beside the asked data at the name, whichever came second;
/// duplicates dropped; NXDOMAIN for an empty non-terminal corrected to
/// NODATA. Pure: no validation, no cache, no network.
pub(crate) fn scrub(zone: &Name, qname: &Name, qtype: RType, mut msg: Message) -> Message {
    regroup_rrsigs(&mut msg);
    // Only the zone's own records count: out-of-zone answers (a CNAME
    // target elsewhere) are asked of their own zone instead.
    msg.answers.retain(|r| r.owner.is_subdomain_of(zone));
    // An NSEC whose next name lies outside the zone is malformed (it
    // would deny other zones' names): dropped with its RRSIGs, wherever
    // it is, as Unbound's scrubber does. Denial records of another zone
    // go too, except beside a chain that leaves this zone for a name
    // said not to exist: there they may be the target zone's own proof
    // (checked with that zone's keys, or not used).
    let leaves_zone = msg.header.rcode == Rcode::NXDOMAIN
        && msg.answers.iter().any(|r| matches!(&r.data, RData::Cname(t) if !t.is_subdomain_of(zone)));
    let overreaching: Vec<Name> = msg
        .answers
        .iter()
        .chain(&msg.authority)
        .filter_map(|r| match &r.data {
            RData::Nsec(n) if r.owner.is_subdomain_of(zone) && !n.next.is_subdomain_of(zone) => Some(r.owner.clone()),
            RData::Nsec(_) if !r.owner.is_subdomain_of(zone) && !leaves_zone => Some(r.owner.clone()),
            _ => None,
        })
        .collect();
    if !overreaching.is_empty() {
        let keep = |r: &Record| {
            !overreaching.contains(&r.owner)
                || !(r.rtype() == RType::NSEC || matches!(&r.data, RData::Rrsig(s) if s.type_covered == RType::NSEC))
        };
        msg.answers.retain(keep);
        msg.authority.retain(keep);
    }
    // Records of a zone below the cut that the same server serves (their
    // RRSIGs name it as signer) are that zone's to answer: a chain that
    // reaches them is followed there, with that zone's chain of trust.
    let below: Vec<Name> = msg
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::Rrsig(s) if s.signer != *zone && s.signer.is_subdomain_of(zone) => Some(s.signer.clone()),
            _ => None,
        })
        .collect();
    if !below.is_empty() && !below.iter().any(|z| qname.is_subdomain_of(z)) {
        msg.answers.retain(|r| !below.iter().any(|z| r.owner.is_subdomain_of(z)));
    }
    // Records of types nobody asked for (nor CNAME/DNAME steps) are dropped.
    if qtype != RType::ANY {
        msg.answers.retain(|r| {
            let t = match &r.data {
                RData::Rrsig(s) => s.type_covered,
                _ => r.rtype(),
            };
            t == qtype || r.rtype() == qtype || matches!(t, RType::CNAME | RType::DNAME)
        });
        // A CNAME beside the asked-for data at the name itself (CNAME
        // and other data, which RFC 1034 §3.6.2 forbids): whichever
        // comes first answers, the other is dropped (as Unbound does).
        let both = |t: RType| msg.answers.iter().any(|r| r.owner == *qname && r.rtype() == t);
        if qtype != RType::CNAME && both(qtype) && both(RType::CNAME) {
            let first = msg.answers.iter().find(|r| r.owner == *qname && r.rtype() != RType::RRSIG).map(Record::rtype);
            let drop = if first == Some(RType::CNAME) { qtype } else { RType::CNAME };
            msg.answers.retain(|r| {
                let t = match &r.data {
                    RData::Rrsig(s) => s.type_covered,
                    _ => r.rtype(),
                };
                !(r.owner == *qname && t == drop)
            });
        }
    }
    // RFC 2181 §5: an RRset holds no duplicate records.
    dedup_records(&mut msg.answers);
    dedup_records(&mut msg.authority);
    // NXDOMAIN for an empty non-terminal (an NSEC's next name lies below
    // the name, so names exist under it): the name exists, the answer
    // is NODATA, and is validated as such (as Unbound corrects it).
    if msg.header.rcode == Rcode::NXDOMAIN
        && msg.answers.is_empty()
        && msg.authority.iter().any(|r| {
            matches!(&r.data, RData::Nsec(n) if r.owner < *qname && n.next != *qname && n.next.is_subdomain_of(qname))
        })
    {
        msg.header.rcode = Rcode::NOERROR;
    }
    msg
}

/// Put each RRSIG in the section of the RRset it covers (some servers
/// misplace them); signatures over nothing in the message stay put.
fn regroup_rrsigs(msg: &mut Message) {
    let covers = |section: &[Record], s: &candor_wire::Rrsig, owner: &Name| {
        section.iter().any(|r| r.owner == *owner && r.rtype() == s.type_covered)
    };
    // The usual case: every RRSIG sits with its RRset; nothing to move.
    let misplaced = [&msg.answers, &msg.authority, &msg.additional]
        .into_iter()
        .any(|section| section.iter().any(|r| matches!(&r.data, RData::Rrsig(s) if !covers(section, s, &r.owner))));
    if !misplaced {
        return;
    }
    let mut moved: [Vec<Record>; 3] = Default::default();
    for (i, section) in [&mut msg.answers, &mut msg.authority, &mut msg.additional].into_iter().enumerate() {
        let mut keep = Vec::with_capacity(section.len());
        for r in section.drain(..) {
            match &r.data {
                RData::Rrsig(s) if !covers(&keep, s, &r.owner) => {
                    if let Some(m) = moved.get_mut(i) {
                        m.push(r);
                    }
                }
                _ => keep.push(r),
            }
        }
        *section = keep;
    }
    // Each stray signature goes where its RRset is, else back where it was.
    for (from, sigs) in moved.into_iter().enumerate() {
        for r in sigs {
            let RData::Rrsig(s) = &r.data else { continue };
            let target = if covers(&msg.answers, s, &r.owner) {
                0
            } else if covers(&msg.authority, s, &r.owner) {
                1
            } else if covers(&msg.additional, s, &r.owner) {
                2
            } else {
                from
            };
            match target {
                0 => msg.answers.push(r),
                1 => msg.authority.push(r),
                _ => msg.additional.push(r),
            }
        }
    }
}
