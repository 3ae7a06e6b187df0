//! The admission gate: what of an authority's response may be used at all.
//! A pure function of (response, zone cut, question), run before anything
//! else reads an answer.

use candor_wire::{Message, Name, RData, Record};

/// Put each RRSIG in the section of the RRset it covers (some servers
/// misplace them); signatures over nothing in the message stay put.
pub(crate) fn regroup_rrsigs(msg: &mut Message) {
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
