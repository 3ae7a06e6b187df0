//! Fitting a response into the client's UDP size: whole RRsets dropped
//! from the end, TC only when the answer or authority section lost one
//! (RFC 2181 §9), EDNS options last.

use candor_wire::{Edns, Message, RData, Record};

use crate::reply::MAX_UDP;

/// Serialise for UDP within the client's size (512 without EDNS, at least
/// 512, at most [`MAX_UDP`]). Too large: whole RRsets (each with its
/// RRSIGs) are left out from the end, additional data first; TC is set
/// only when the answer or authority section lost one (RFC 2181 §9: not
/// for additional data that did not fit); EDNS options (an EDE's long
/// extra-text) go last.
pub fn to_udp(q_edns: Option<&Edns>, mut m: Message) -> Option<Vec<u8>> {
    // `None` only when the message cannot be encoded at all.
    let limit = q_edns.map_or(512, |e| usize::from(e.udp_size.clamp(512, MAX_UDP)));
    loop {
        let wire = m.to_wire().ok()?;
        if wire.len() <= limit {
            return Some(wire);
        }
        if !drop_last_rrset(&mut m.additional) {
            m.header.flags.tc = true;
            if !drop_last_rrset(&mut m.authority) && !drop_last_rrset(&mut m.answers) {
                // Only the header, question and OPT are left: a long
                // extra-text goes too, and what remains always fits 512.
                match m.edns.as_mut() {
                    Some(e) if !e.options.is_empty() => e.options.clear(),
                    _ => return m.to_wire().ok(),
                }
            }
        }
    }
}

/// Removes the RRset of the section's last record, with the RRSIGs that
/// cover it; false when the section is empty.
pub(crate) fn drop_last_rrset(section: &mut Vec<Record>) -> bool {
    let key = |r: &Record| match &r.data {
        RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
        _ => (r.owner.clone(), r.rtype()),
    };
    let Some(last) = section.last().map(key) else { return false };
    section.retain(|r| key(r) != last);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{add_ede, reply_to};
    use crate::testutil::query;
    use candor_wire::text::parse_zone;
    use candor_wire::{Name, RType, Rcode};

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
