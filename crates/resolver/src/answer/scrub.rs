//! The admission gate: what of an authority's response may be used at all.
//! A pure function of (response, zone cut, question), run before anything
//! else reads an answer.

use std::collections::HashSet;

use candor_wire::{Message, Name, RData, RType, Rcode, Record};

use crate::records::{dedup_records, dname_rewrite};

/// Why the gate left a record out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// An answer record outside the zone of the server asked.
    OutOfZone,
    /// An answer record that is neither at the question's name nor on the
    /// CNAME/DNAME chain from it (for an RRSIG question: anything but the
    /// name's own RRSIGs).
    OffChain,
    /// An NSEC reaching outside the zone, or another zone's denial record.
    ForeignDenial,
    /// A record of a zone below the cut the same server serves, for a
    /// question outside that zone.
    BelowCut,
    /// An answer record of a type the question did not ask for.
    NotAsked,
    /// A CNAME beside the asked data at the name (or the data beside a
    /// CNAME that came first): RFC 1034 §3.6.2.
    CnameAndData,
    /// An authority record that is not the zone's SOA, NS, DS or denial
    /// record (nor an RRSIG over one).
    NotAuthority,
    /// An additional record that is not an address of a name server, mail
    /// exchanger or service target named in the response, inside the zone.
    NotGlue,
    /// A referral's authority record that is not the delegation's NS or
    /// DS RRset nor a denial record (another child's NS, say).
    NotTheDelegation,
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DropReason::OutOfZone => "outside the zone asked",
            DropReason::OffChain => "not on the question's chain",
            DropReason::ForeignDenial => "a denial record of another zone",
            DropReason::BelowCut => "a zone below the cut, not asked about",
            DropReason::NotAsked => "a type not asked for",
            DropReason::CnameAndData => "CNAME and other data at one name",
            DropReason::NotAuthority => "not the zone's SOA, NS, DS or denial record",
            DropReason::NotGlue => "not an address of a host named in the response, inside the zone",
            DropReason::NotTheDelegation => "not the delegation's NS, DS or denial record",
        })
    }
}

/// What the gate let through, and what it left out with its reason.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// The response, keeping only what may be used.
    pub(crate) msg: Message,
    /// The records left out, each with its reason (duplicates of kept
    /// records are dropped without a word).
    pub(crate) dropped: Vec<(Record, DropReason)>,
}

/// Move the records of `section` that `drop` picks into `dropped`.
fn drop_if(
    section: &mut Vec<Record>,
    reason: DropReason,
    dropped: &mut Vec<(Record, DropReason)>,
    drop: impl Fn(&Record) -> bool,
) {
    if !section.iter().any(&drop) {
        return; // the usual case: nothing to rebuild
    }
    let (out, keep): (Vec<Record>, Vec<Record>) = std::mem::take(section).into_iter().partition(|r| drop(r));
    *section = keep;
    dropped.extend(out.into_iter().map(|r| (r, reason)));
}

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
pub(crate) fn scrub(zone: &Name, qname: &Name, qtype: RType, mut msg: Message) -> Admitted {
    let mut dropped = Vec::new();
    regroup_rrsigs(&mut msg);
    // Only the zone's own records count: out-of-zone answers (a CNAME
    // target elsewhere) are asked of their own zone instead.
    drop_if(&mut msg.answers, DropReason::OutOfZone, &mut dropped, |r| !r.owner.is_subdomain_of(zone));
    // The answer section holds the question's name and the CNAME/DNAME
    // chain from it, nothing else: an unrelated record (another name's
    // address, a CNAME or DNAME elsewhere) is not an answer to anything
    // asked, and must not ride into the cache. RRSIG RRsets are not signed
    // (RFC 4035 §2.2): an RRSIG question's answer is the name's RRSIGs only.
    if qtype == RType::RRSIG {
        drop_if(&mut msg.answers, DropReason::OffChain, &mut dropped, |r| {
            !(r.owner == *qname && r.rtype() == RType::RRSIG)
        });
    } else {
        let chain = chain_names(&msg.answers, qname);
        drop_if(&mut msg.answers, DropReason::OffChain, &mut dropped, |r| {
            let dname_above =
                covered(r) == RType::DNAME && chain.iter().any(|n| n.is_subdomain_of(&r.owner) && *n != r.owner);
            !chain.contains(&r.owner) && !dname_above
        });
    }
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
        drop_if(&mut msg.answers, DropReason::ForeignDenial, &mut dropped, |r| !keep(r));
        drop_if(&mut msg.authority, DropReason::ForeignDenial, &mut dropped, |r| !keep(r));
    }
    // The authority section holds the zone's SOA, NS, DS and denial
    // records (with their RRSIGs) and nothing else; beside a chain that
    // leaves the zone for a name said not to exist, the target zone's SOA
    // and denial records may stand too (checked with that zone's keys).
    drop_if(&mut msg.authority, DropReason::OutOfZone, &mut dropped, |r| {
        let target_denial = leaves_zone && matches!(covered(r), RType::SOA | RType::NSEC | RType::NSEC3);
        !(r.owner.is_subdomain_of(zone) || target_denial)
    });
    drop_if(&mut msg.authority, DropReason::NotAuthority, &mut dropped, |r| {
        !matches!(covered(r), RType::SOA | RType::NS | RType::DS | RType::NSEC | RType::NSEC3)
    });
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
        drop_if(&mut msg.answers, DropReason::BelowCut, &mut dropped, |r| {
            below.iter().any(|z| r.owner.is_subdomain_of(z))
        });
    }
    // Records of types nobody asked for (nor CNAME/DNAME steps) are dropped.
    if qtype != RType::ANY {
        drop_if(&mut msg.answers, DropReason::NotAsked, &mut dropped, |r| {
            let t = covered(r);
            !(t == qtype || r.rtype() == qtype || matches!(t, RType::CNAME | RType::DNAME))
        });
        // A CNAME beside the asked-for data at the name itself (CNAME
        // and other data, which RFC 1034 §3.6.2 forbids): whichever
        // comes first answers, the other is dropped (as Unbound does).
        let both = |t: RType| msg.answers.iter().any(|r| r.owner == *qname && r.rtype() == t);
        if qtype != RType::CNAME && both(qtype) && both(RType::CNAME) {
            let first = msg.answers.iter().find(|r| r.owner == *qname && r.rtype() != RType::RRSIG).map(Record::rtype);
            let drop = if first == Some(RType::CNAME) { qtype } else { RType::CNAME };
            drop_if(&mut msg.answers, DropReason::CnameAndData, &mut dropped, |r| {
                r.owner == *qname && covered(r) == drop
            });
        }
    }
    // The additional section holds the addresses of the hosts the answer
    // and authority sections name (NS, MX and SRV targets), inside the
    // zone, with their RRSIGs; nothing else.
    admit_addresses(zone, &mut msg, &mut dropped);
    // RFC 2181 §5: an RRset holds no duplicate records.
    dedup_records(&mut msg.answers);
    dedup_records(&mut msg.authority);
    dedup_records(&mut msg.additional);
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
    Admitted { msg, dropped }
}

/// The admission gate for a referral from a server of `zone` to `child`:
/// the authority section keeps the delegation's NS and DS RRsets and the
/// zone's denial records (with their RRSIGs); the additional section the
/// addresses of the child's name servers, inside `zone` (anywhere with
/// `harden_glue` off: such glue reaches this one delegation, and is never
/// kept as answer data); a referral has no answer records. Pure.
pub(crate) fn admit_referral(zone: &Name, child: &Name, harden_glue: bool, mut msg: Message) -> Admitted {
    let mut dropped = Vec::new();
    regroup_rrsigs(&mut msg);
    drop_if(&mut msg.answers, DropReason::NotAsked, &mut dropped, |_| true);
    drop_if(&mut msg.authority, DropReason::OutOfZone, &mut dropped, |r| !r.owner.is_subdomain_of(zone));
    drop_if(&mut msg.authority, DropReason::NotTheDelegation, &mut dropped, |r| match covered(r) {
        RType::NS | RType::DS => r.owner != *child,
        RType::NSEC | RType::NSEC3 => false,
        _ => true,
    });
    let hosts: HashSet<&Name> = msg
        .authority
        .iter()
        .filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            _ => None,
        })
        .collect();
    drop_if(&mut msg.additional, DropReason::NotGlue, &mut dropped, |r| {
        !(matches!(covered(r), RType::A | RType::AAAA)
            && hosts.contains(&r.owner)
            && (r.owner.is_subdomain_of(zone) || !harden_glue))
    });
    dedup_records(&mut msg.authority);
    dedup_records(&mut msg.additional);
    Admitted { msg, dropped }
}

/// Keep in `msg`'s additional section only the addresses (A, AAAA and
/// their RRSIGs) of NS, MX and SRV targets its answer and authority
/// sections name inside `zone`.
fn admit_addresses(zone: &Name, msg: &mut Message, dropped: &mut Vec<(Record, DropReason)>) {
    if msg.additional.is_empty() {
        return;
    }
    let hosts: HashSet<&Name> = msg
        .answers
        .iter()
        .chain(&msg.authority)
        .filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            RData::Mx(m) => Some(&m.exchange),
            RData::Srv(s) => Some(&s.target),
            _ => None,
        })
        .filter(|h| h.is_subdomain_of(zone))
        .collect();
    drop_if(&mut msg.additional, DropReason::NotGlue, dropped, |r| {
        !(matches!(covered(r), RType::A | RType::AAAA) && hosts.contains(&r.owner))
    });
}

/// The names of the CNAME/DNAME chain that starts at `qname` in `answers`:
/// the name, each CNAME's target, each name a DNAME above a chain name
/// rewrites it to (at most as many steps as there are records).
fn chain_names(answers: &[Record], qname: &Name) -> Vec<Name> {
    let mut names = vec![qname.clone()];
    for _ in 0..answers.len() {
        let Some(last) = names.last() else { break };
        let next = answers
            .iter()
            .find_map(|r| match &r.data {
                RData::Cname(t) if r.owner == *last => Some(t.clone()),
                _ => None,
            })
            .or_else(|| dname_rewrite(answers, last));
        match next {
            Some(n) if !names.contains(&n) => names.push(n),
            _ => break,
        }
    }
    names
}

/// The type a record stands for: its own, or the one an RRSIG covers.
fn covered(r: &Record) -> RType {
    match &r.data {
        RData::Rrsig(s) => s.type_covered,
        _ => r.rtype(),
    }
}

/// Put each RRSIG in the section of the RRset it covers (some servers
/// misplace them); signatures over nothing in the message stay put.
fn regroup_rrsigs(msg: &mut Message) {
    // The usual case: every RRSIG sits with its RRset; nothing to move.
    // Short sections are checked pairwise, long ones through a set of
    // their RRsets (a response of thousands must not cost their square).
    let misplaced = [&msg.answers, &msg.authority, &msg.additional].into_iter().any(|section| {
        if section.len() <= SMALL {
            let covers = |s: &candor_wire::Rrsig, owner: &Name| {
                section.iter().any(|r| r.owner == *owner && r.rtype() == s.type_covered)
            };
            section.iter().any(|r| matches!(&r.data, RData::Rrsig(s) if !covers(s, &r.owner)))
        } else {
            let sets: HashSet<(&Name, RType)> = section.iter().map(|r| (&r.owner, r.rtype())).collect();
            section.iter().any(|r| matches!(&r.data, RData::Rrsig(s) if !sets.contains(&(&r.owner, s.type_covered))))
        }
    });
    if !misplaced {
        return;
    }
    let rrsets = |section: &[Record]| -> HashSet<(Name, RType)> {
        section.iter().filter(|r| r.rtype() != RType::RRSIG).map(|r| (r.owner.clone(), r.rtype())).collect()
    };
    let sets = [rrsets(&msg.answers), rrsets(&msg.authority), rrsets(&msg.additional)];
    let home = |s: &candor_wire::Rrsig, owner: &Name| {
        sets.iter().position(|set| set.contains(&(owner.clone(), s.type_covered)))
    };
    let mut moved: Vec<(Record, usize)> = Vec::new();
    for (i, section) in [&mut msg.answers, &mut msg.authority, &mut msg.additional].into_iter().enumerate() {
        let stray = |r: &Record| matches!(&r.data, RData::Rrsig(s) if !sets.get(i).is_some_and(|set| set.contains(&(r.owner.clone(), s.type_covered))));
        let (out, keep): (Vec<Record>, Vec<Record>) = std::mem::take(section).into_iter().partition(|r| stray(r));
        *section = keep;
        moved.extend(out.into_iter().map(|r| (r, i)));
    }
    // Each stray signature goes where its RRset is, else back where it was.
    for (r, from) in moved {
        let target = match &r.data {
            RData::Rrsig(s) => home(s, &r.owner).unwrap_or(from),
            _ => from,
        };
        match target {
            0 => msg.answers.push(r),
            1 => msg.authority.push(r),
            _ => msg.additional.push(r),
        }
    }
}

/// Sections this short are checked pairwise (cheaper than hashing).
const SMALL: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::text::parse_zone;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn answer(rcode: Rcode, answers: &str, authority: &str) -> Message {
        let mut m = Message::default();
        m.header.flags.qr = true;
        m.header.rcode = rcode;
        m.answers = parse_zone(answers, None).unwrap();
        m.authority = parse_zone(authority, None).unwrap();
        m
    }

    fn reasons(a: &Admitted) -> Vec<(String, DropReason)> {
        a.dropped.iter().map(|(r, why)| (format!("{} {}", r.owner, r.rtype()), *why)).collect()
    }

    #[test]
    fn records_outside_the_zone_or_the_question_are_left_out_with_their_reason() {
        let msg = answer(
            Rcode::NOERROR,
            "www.example. 300 A 192.0.2.1\n\
             www.example. 300 MX 10 mail.example.\n\
             evil.test. 300 A 192.0.2.66\n",
            "",
        );
        let a = scrub(&n("example."), &n("www.example."), RType::A, msg);
        assert_eq!(a.msg.answers.len(), 1);
        assert_eq!(a.msg.answers[0].rtype(), RType::A);
        assert_eq!(
            reasons(&a),
            [("evil.test. A".to_owned(), DropReason::OutOfZone), ("www.example. MX".to_owned(), DropReason::NotAsked)]
        );
    }

    #[test]
    fn an_nsec_reaching_outside_the_zone_goes_and_the_rest_stays_untouched() {
        let soa = "example. 300 SOA ns.example. h.example. 1 2 3 4 300\n";
        let msg = answer(Rcode::NXDOMAIN, "", &format!("{soa}a.example. 300 NSEC z.other. A NSEC\n"));
        let a = scrub(&n("example."), &n("b.example."), RType::A, msg);
        assert_eq!(reasons(&a), [("a.example. NSEC".to_owned(), DropReason::ForeignDenial)]);
        assert_eq!(a.msg.authority.len(), 1, "the SOA stays");
        // Nothing to leave out: nothing is dropped, and nothing is rebuilt.
        let clean = answer(Rcode::NXDOMAIN, "", soa);
        let a = scrub(&n("example."), &n("b.example."), RType::A, clean.clone());
        assert!(a.dropped.is_empty());
        assert_eq!(a.msg.authority, clean.authority);
    }

    #[test]
    fn of_a_cname_beside_the_asked_data_the_first_answers() {
        let msg = answer(Rcode::NOERROR, "x.example. 300 CNAME y.example.\nx.example. 300 A 192.0.2.1\n", "");
        let a = scrub(&n("example."), &n("x.example."), RType::A, msg);
        assert_eq!(reasons(&a), [("x.example. A".to_owned(), DropReason::CnameAndData)]);
    }

    #[test]
    fn the_chain_from_the_question_stays_and_nothing_else() {
        let chain = "x.example. 300 DNAME y.example.\n\
                     a.x.example. 300 CNAME a.y.example.\n\
                     a.y.example. 300 CNAME b.example.\n\
                     b.example. 300 A 192.0.2.1\n";
        let msg =
            answer(Rcode::NOERROR, &format!("{chain}c.example. 300 A 192.0.2.66\nz.example. 300 DNAME evil.\n"), "");
        let a = scrub(&n("example."), &n("a.x.example."), RType::A, msg);
        assert_eq!(a.msg.answers.len(), 4, "{:?}", a.msg.answers);
        assert_eq!(
            reasons(&a),
            [("c.example. A".to_owned(), DropReason::OffChain), ("z.example. DNAME".to_owned(), DropReason::OffChain)]
        );
        // An RRSIG question's answer is the name's RRSIGs, nothing else.
        let msg = answer(
            Rcode::NOERROR,
            "w.example. 300 RRSIG A 13 2 300 2000000000 1000000000 1 example. AAAA\nexample. 300 DNAME evil.\n",
            "",
        );
        let a = scrub(&n("example."), &n("w.example."), RType::RRSIG, msg);
        assert_eq!(reasons(&a), [("example. DNAME".to_owned(), DropReason::OffChain)]);
    }

    #[test]
    fn authority_keeps_the_zones_soa_ns_ds_and_denials_and_additional_the_named_hosts() {
        let mut msg = answer(
            Rcode::NOERROR,
            "www.example. 300 MX 10 mail.example.\n",
            "example. 300 NS ns.example.\n\
             example. 300 NS ns.other.\n\
             other. 300 NS ns.evil.\n\
             x.example. 300 A 192.0.2.66\n\
             x.example. 300 NSEC z.example. A NSEC\n",
        );
        msg.additional = parse_zone(
            "ns.example. 300 A 192.0.2.53\n\
             mail.example. 300 AAAA 2001:db8::25\n\
             ns.other. 300 A 192.0.2.54\n\
             www.example. 300 A 192.0.2.66\n\
             ns.example. 300 TXT \"not an address\"\n",
            None,
        )
        .unwrap();
        let a = scrub(&n("example."), &n("www.example."), RType::MX, msg);
        assert_eq!(
            reasons(&a),
            [
                ("other. NS".to_owned(), DropReason::OutOfZone),
                ("x.example. A".to_owned(), DropReason::NotAuthority),
                ("ns.other. A".to_owned(), DropReason::NotGlue),
                ("www.example. A".to_owned(), DropReason::NotGlue),
                ("ns.example. TXT".to_owned(), DropReason::NotGlue),
            ]
        );
        assert_eq!((a.msg.authority.len(), a.msg.additional.len()), (3, 2));
    }

    #[test]
    fn a_referral_keeps_the_delegation_its_proof_and_its_servers_addresses() {
        let mut msg = answer(
            Rcode::NOERROR,
            "",
            "sub.example. 300 NS ns.sub.example.\n\
             sub.example. 300 NS ns.elsewhere.\n\
             sub.example. 300 DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000\n\
             sib.example. 300 NS ns.evil.\n\
             sub.example. 300 A 192.0.2.66\n\
             other. 300 NS ns.evil.\n",
        );
        msg.additional = parse_zone(
            "ns.sub.example. 300 A 192.0.2.53\n\
             ns.elsewhere. 300 A 192.0.2.54\n\
             ns.evil. 300 A 192.0.2.66\n",
            None,
        )
        .unwrap();
        let a = admit_referral(&n("example."), &n("sub.example."), true, msg.clone());
        assert_eq!(
            reasons(&a),
            [
                ("other. NS".to_owned(), DropReason::OutOfZone),
                ("sib.example. NS".to_owned(), DropReason::NotTheDelegation),
                ("sub.example. A".to_owned(), DropReason::NotTheDelegation),
                ("ns.elsewhere. A".to_owned(), DropReason::NotGlue),
                ("ns.evil. A".to_owned(), DropReason::NotGlue),
            ]
        );
        assert_eq!((a.msg.authority.len(), a.msg.additional.len()), (3, 1));
        // With harden-glue off, the out-of-zone address of a server the
        // delegation names stays (to reach this delegation only).
        let a = admit_referral(&n("example."), &n("sub.example."), false, msg);
        assert_eq!(a.msg.additional.len(), 2, "{:?}", a.msg.additional);
    }

    #[test]
    fn misplaced_rrsigs_go_to_their_rrsets_in_short_and_long_sections() {
        for count in [2usize, 30] {
            let mut answers = String::new();
            let mut authority = String::new();
            let mut additional = String::new();
            for i in 0..count {
                answers.push_str(&format!("w.example. 300 TXT \"{i}\"\n"));
                authority.push_str(&format!("example. 300 NS h{i}.example.\n"));
                additional.push_str(&format!("h{i}.example. 300 A 192.0.2.1\n"));
            }
            // The answer's RRSIG misplaced in the additional section, and
            // one over nothing in the message (it stays where it was).
            additional.push_str("w.example. 300 RRSIG TXT 13 2 300 2000000000 1000000000 1 example. AAAA\n");
            additional.push_str("h0.example. 300 RRSIG AAAA 13 2 300 2000000000 1000000000 1 example. AAAA\n");
            let mut msg = answer(Rcode::NOERROR, &answers, &authority);
            msg.additional = parse_zone(&additional, None).unwrap();
            let a = scrub(&n("example."), &n("w.example."), RType::TXT, msg);
            let sigs = |s: &[Record]| s.iter().filter(|r| r.rtype() == RType::RRSIG).count();
            assert_eq!((sigs(&a.msg.answers), sigs(&a.msg.additional)), (1, 1), "{count}");
        }
    }
}
