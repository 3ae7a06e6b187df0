//! Fitting a response into the client's UDP size: whole RRsets dropped
//! from the end, TC only when the answer or authority section lost one
//! (RFC 2181 §9), EDNS options last.

use std::collections::HashSet;

use candor_wire::{Edns, EdnsOption, Message, Name, RData, RType, Record};

use crate::reply::MAX_UDP;

/// Extra-texts are cut to this many octets before any RRset is left out:
/// the data matters more than the words, but the words should survive.
pub(crate) const TEXT_FLOOR: usize = 96;

/// Serialise for UDP within the client's size (512 without EDNS, at least
/// 512, at most [`MAX_UDP`]). Too large: the EDE extra-texts are first cut
/// down to `TEXT_FLOOR` octets each (longest first); then whole RRsets
/// (each with its RRSIGs) are left out from the end, additional data
/// first; TC is set only when the answer or authority section lost one
/// (RFC 2181 §9: not for additional data that did not fit); when only the
/// header, question and OPT are left and still do not fit, the texts are
/// cut further, then the last EDE options dropped: texts are trimmed
/// before codes are dropped.
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
    let mut m = m;
    if trim_texts(&mut m, wire.len() - limit, TEXT_FLOOR) {
        let wire = m.to_wire().ok()?;
        if wire.len() <= limit {
            return Some(wire);
        }
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
        // Only the header, question and OPT are left: the texts are cut
        // to nothing if need be, then EDE options go from the last (the
        // least important); what remains always fits 512.
        let mut t = without(hi);
        t.header.flags.tc = true;
        loop {
            let wire = t.to_wire().ok()?;
            if wire.len() <= limit {
                return Some(wire);
            }
            if !trim_texts(&mut t, wire.len() - limit, 0) {
                match t.edns.as_mut() {
                    Some(e) if !e.options.is_empty() => {
                        e.options.pop();
                    }
                    _ => return Some(wire),
                }
            }
        }
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) { hi = mid } else { lo = mid + 1 }
    }
    without(lo).to_wire().ok()
}

/// Cut the EDE extra-texts of `m` by `excess` octets in all, the longest
/// first, none below `floor` octets (at a character boundary, marked with
/// "..."); false when no text could be cut.
pub(crate) fn trim_texts(m: &mut Message, excess: usize, floor: usize) -> bool {
    let Some(edns) = m.edns.as_mut() else { return false };
    let mut left = excess;
    let mut cut_any = false;
    while left > 0 {
        let longest = edns
            .options
            .iter_mut()
            .filter_map(|o| match o {
                EdnsOption::Ede(e) if e.text.len() > floor => Some(&mut e.text),
                _ => None,
            })
            .max_by_key(|t| t.len());
        let Some(text) = longest else { break };
        let before = text.len();
        // Room for the "..." mark when something is kept.
        let mut keep = before.saturating_sub(left + 3).max(floor);
        if keep < 4 {
            keep = 0;
        }
        while keep > 0 && !text.is_char_boundary(keep) {
            keep -= 1;
        }
        text.truncate(keep);
        if keep > 0 {
            text.push_str("...");
        }
        let cut = before.saturating_sub(text.len());
        if cut == 0 {
            break;
        }
        cut_any = true;
        left = left.saturating_sub(cut);
    }
    cut_any
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
        let excess = m.to_wire().ok()?.len().saturating_sub(limit);
        trim_texts(&mut m, excess, TEXT_FLOOR);
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
                    // Texts to nothing, one cut at a time, then the last code.
                    let excess = m.to_wire().ok()?.len().saturating_sub(limit);
                    if !trim_texts(&mut m, excess, 0) {
                        match m.edns.as_mut() {
                            Some(e) if !e.options.is_empty() => {
                                e.options.pop();
                            }
                            _ => return m.to_wire().ok(),
                        }
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
        // An extra-text too long for 512 octets is cut to fit, not dropped
        // (nothing else was left out: no TC).
        let mut m = reply_to(&query(RType::TXT, false), Rcode::SERVFAIL);
        add_ede(&mut m, 6, "x".repeat(600));
        let wire = to_udp(Some(&edns(512)), m).unwrap();
        let r = Message::from_wire(&wire).unwrap();
        let edes = |r: &Message| -> Vec<(u16, String)> {
            r.edns
                .iter()
                .flat_map(|e| &e.options)
                .filter_map(|o| match o {
                    EdnsOption::Ede(x) => Some((x.code, x.text.clone())),
                    _ => None,
                })
                .collect()
        };
        let got = edes(&r);
        assert!(wire.len() <= 512 && !r.header.flags.tc, "{} octets", wire.len());
        assert!(got.len() == 1 && got[0].0 == 6 && got[0].1.ends_with("...") && got[0].1.len() > 300, "{got:?}");
    }

    #[test]
    fn with_several_edes_texts_are_trimmed_before_codes_are_dropped() {
        let edns = Edns { udp_size: 512, ..Edns::default() };
        for (n, len) in [(4usize, 400usize), (12, 300), (40, 50)] {
            let mut m = reply_to(&query(RType::A, true), Rcode::SERVFAIL);
            for i in 0..n {
                add_ede(&mut m, i as u16, format!("{i:02}{}", "é".repeat(len / 2)));
            }
            let wire = to_udp(Some(&edns), m).unwrap();
            assert!(wire.len() <= 512, "{n}: {} octets", wire.len());
            let r = Message::from_wire(&wire).unwrap();
            let codes: Vec<u16> = r
                .edns
                .iter()
                .flat_map(|e| &e.options)
                .filter_map(|o| match o {
                    EdnsOption::Ede(x) => Some(x.code),
                    _ => None,
                })
                .collect();
            // Each EDE costs 6 octets without text: 4 and 12 of them fit
            // with their texts cut; of 40 (240 octets bare), every code too.
            assert_eq!(codes, (0..n as u16).collect::<Vec<_>>(), "{n} EDEs of {len}");
        }
        // 100 bare codes (600 octets) cannot all fit: the last ones go, the
        // first (the most important) stay.
        let mut m = reply_to(&query(RType::A, true), Rcode::SERVFAIL);
        for i in 0..100u16 {
            add_ede(&mut m, i, "why".to_owned());
        }
        let wire = to_udp(Some(&edns), m).unwrap();
        let r = Message::from_wire(&wire).unwrap();
        let n = r.edns.map_or(0, |e| e.options.len());
        assert!(wire.len() <= 512 && n > 60 && n < 100, "{n} kept in {} octets", wire.len());
    }
}
