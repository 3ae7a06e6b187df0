//! Fitting a response into the client's UDP size: whole RRsets dropped
//! from the end, TC only when the answer or authority section lost one
//! (RFC 2181 §9), EDNS options last.

use std::collections::HashSet;

use candor_wire::{Edns, Message, Name, RData, RType, Record};

use crate::reply::MAX_UDP;

/// Serialise for UDP within the client's size (512 without EDNS, at least
/// 512, at most [`MAX_UDP`]). Too large: whole RRsets (each with its
/// RRSIGs) are left out from the end, additional data first; TC is set
/// only when the answer or authority section lost one (RFC 2181 §9: not
/// for additional data that did not fit); EDNS options (an EDE's long
/// extra-text) go last.
///
/// How many RRsets to leave out is found by bisection over the order they
/// go in: O(log n) encodings of the message, not one per RRset.
pub fn to_udp(q_edns: Option<&Edns>, m: Message) -> Option<Vec<u8>> {
    // `None` only when the message cannot be encoded at all.
    let limit = q_edns.map_or(512, |e| usize::from(e.udp_size.clamp(512, MAX_UDP)));
    let wire = m.to_wire().ok()?;
    if wire.len() <= limit {
        return Some(wire); // the usual case
    }
    // The RRsets in the order they are left out: each section's from its
    // end (by last record), additional first, then authority, then answer.
    let steps: Vec<(u8, Key)> = [(2u8, &m.additional), (1, &m.authority), (0, &m.answers)]
        .into_iter()
        .flat_map(|(section, records)| drop_order(records).into_iter().map(move |k| (section, k)))
        .collect();
    let without = |n: usize| -> Message {
        let gone: HashSet<&(u8, Key)> = steps.iter().take(n).collect();
        let keep = |section: u8, records: &[Record]| -> Vec<Record> {
            records.iter().filter(|r| !gone.contains(&(section, key(r)))).cloned().collect()
        };
        let mut t = m.clone();
        t.answers = keep(0, &m.answers);
        t.authority = keep(1, &m.authority);
        t.additional = keep(2, &m.additional);
        // TC once the answer or authority section lost an RRset.
        t.header.flags.tc |= steps.iter().take(n).any(|(section, _)| *section < 2);
        t
    };
    let fits = |n: usize| without(n).to_wire().ok().is_some_and(|w| w.len() <= limit);
    // The fewest RRsets to leave out (the full message does not fit).
    let (mut lo, mut hi) = (1, steps.len());
    if !fits(hi) {
        // Only the header, question and OPT are left: a long extra-text
        // goes too, and what remains always fits 512.
        let mut t = without(hi);
        t.header.flags.tc = true;
        if let Some(e) = t.edns.as_mut() {
            e.options.clear();
        }
        return t.to_wire().ok();
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) { hi = mid } else { lo = mid + 1 }
    }
    without(lo).to_wire().ok()
}

/// An RRset's key: owner and type (an RRSIG's, the type it covers).
type Key = (Name, RType);

fn key(r: &Record) -> Key {
    match &r.data {
        RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
        _ => (r.owner.clone(), r.rtype()),
    }
}

/// The RRsets of `section` in the order they are left out: the last
/// record's RRset first, then the last remaining one's, and so on.
fn drop_order(section: &[Record]) -> Vec<Key> {
    let mut seen = HashSet::new();
    section.iter().rev().map(key).filter(|k| seen.insert(k.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{add_ede, reply_to};
    use crate::testutil::query;
    use candor_wire::text::parse_zone;
    use candor_wire::{Name, RType, Rcode};

    /// The rule by its definition: one RRset at a time from the end,
    /// encoding the message again after each (quadratic; the reference).
    fn one_by_one(q_edns: Option<&Edns>, mut m: Message) -> Option<Vec<u8>> {
        let limit = q_edns.map_or(512, |e| usize::from(e.udp_size.clamp(512, MAX_UDP)));
        let drop_last = |section: &mut Vec<Record>| {
            let Some(last) = section.last().map(key) else { return false };
            section.retain(|r| key(r) != last);
            true
        };
        loop {
            let wire = m.to_wire().ok()?;
            if wire.len() <= limit {
                return Some(wire);
            }
            if !drop_last(&mut m.additional) {
                m.header.flags.tc = true;
                if !drop_last(&mut m.authority) && !drop_last(&mut m.answers) {
                    match m.edns.as_mut() {
                        Some(e) if !e.options.is_empty() => e.options.clear(),
                        _ => return m.to_wire().ok(),
                    }
                }
            }
        }
    }

    #[test]
    fn bisection_leaves_out_exactly_what_one_by_one_would() {
        let mut m = reply_to(&query(RType::TXT, true), Rcode::NOERROR);
        let text: String = (0..40).map(|i| format!("a.example. 300 TXT \"answer {i}\"\n")).collect();
        m.answers = parse_zone(&text, None).unwrap();
        let text: String = (0..30).map(|i| format!("n{i}.example. 300 NS ns{i}.example.\n")).collect();
        m.authority = parse_zone(&text, None).unwrap();
        let text: String = (0..300).map(|i| format!("h{i}.example. 300 A 192.0.2.{}\n", i % 250)).collect();
        m.additional = parse_zone(&text, None).unwrap();
        add_ede(&mut m, 0, "x".repeat(100));
        for size in [512u16, 700, 1232, 1400, 4000, 9000] {
            let edns = Edns { udp_size: size, ..Edns::default() };
            assert_eq!(to_udp(Some(&edns), m.clone()), one_by_one(Some(&edns), m.clone()), "{size}");
        }
        assert_eq!(to_udp(None, m.clone()), one_by_one(None, m));
    }

    #[test]
    fn udp_replies_lose_whole_rrsets_from_the_end_and_tc_only_for_answer_or_authority() {
        let txt = |owner: &str, n: usize| format!("{owner} 300 TXT \"{}\"\n", "x".repeat(n));
        let mut m = reply_to(&query(RType::TXT, false), Rcode::NOERROR);
        m.answers = parse_zone(&txt("a.example.", 250), None).unwrap();
        m.authority = parse_zone(&txt("b.example.", 250), None).unwrap();
        m.additional = parse_zone(&format!("{}{}", txt("c.example.", 100), txt("d.example.", 100)), None).unwrap();
        let edns = |udp_size| Edns { udp_size, ..Edns::default() };
        let full = m.to_wire().unwrap().len();
        let fits = |size: usize| Message::from_wire(&to_udp(Some(&edns(size as u16)), m.clone()).unwrap()).unwrap();
        assert_eq!(fits(full).additional.len(), 2, "a reply that fits is whole");
        // One additional RRset does not fit: it goes, without TC.
        let r = fits(full - 1);
        assert_eq!((r.additional.len(), r.header.flags.tc), (1, false), "{r:?}");
        assert_eq!(r.additional[0].owner, "c.example.".parse::<Name>().unwrap());
        // Nor does the authority section: TC, the answer kept whole.
        let r = Message::from_wire(&to_udp(None, m.clone()).unwrap()).unwrap();
        assert!(r.header.flags.tc);
        assert_eq!((r.answers.len(), r.authority.len(), r.additional.len()), (1, 0, 0));
        // An extra-text too long for 512 octets beside the question goes too.
        let mut m = reply_to(&query(RType::TXT, false), Rcode::SERVFAIL);
        add_ede(&mut m, 6, "x".repeat(600));
        let r = Message::from_wire(&to_udp(Some(&edns(512)), m).unwrap()).unwrap();
        assert!(r.header.flags.tc && r.edns.is_some_and(|e| e.options.is_empty()));
    }
}
