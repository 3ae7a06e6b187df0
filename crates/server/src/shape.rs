//! Shaping a resolution into the response a stub gets (DESIGN.md
//! "Answers to stubs"): AD only for secure data a DO or AD client asked
//! about, DNSSEC records only with DO (or asked for by type), SERVFAIL with
//! the failure's EDE, the data itself for CD=1; RFC 8482 for ANY.

use candor_resolver::{Resolution, Security};
use candor_wire::{Message, RData, RType, Rcode, Record};

use crate::reply::{EDE_CACHED_ERROR, add_ede, reply_to};

/// RFC 8914 info-code 3, Stale Answer.
const EDE_STALE: u16 = 3;

/// RFC 8914 info-code 19, Stale NXDOMAIN Answer.
const EDE_STALE_NXDOMAIN: u16 = 19;

/// Shape a resolution into the response to `q` (DESIGN.md "Answers to stubs").
pub fn shape(q: &Message, r: &Resolution) -> Message {
    let do_bit = q.edns.as_ref().is_some_and(|e| e.dnssec_ok);
    let cd = q.header.flags.cd;
    let wants_ad = do_bit || q.header.flags.ad;
    let mut m = reply_to(q, r.rcode);
    let keep = |rr: &&Record| do_bit || !matches!(rr.rtype(), RType::RRSIG | RType::NSEC | RType::NSEC3);
    // DNSSEC records asked for by type are the answer, DO or not (RFC 4035
    // §3.2.1).
    let qtype = q.question().map(|qd| qd.qtype);
    let keep_answer = |rr: &&Record| keep(rr) || Some(rr.rtype()) == qtype;
    let with_data = |m: &mut Message| {
        m.answers = r.answers.iter().filter(keep_answer).cloned().collect();
        m.authority = r.authority.iter().filter(keep).cloned().collect();
        m.additional = r.additional.iter().filter(keep).cloned().collect();
    };
    // Expired data served because its refresh failed (RFC 8767): EDE 3,
    // or 19 for a negative answer, saying since when and why.
    if let Some(stale) = &r.stale {
        let code = if r.rcode == Rcode::NXDOMAIN { EDE_STALE_NXDOMAIN } else { EDE_STALE };
        let since = candor_resolver::time_text::iso(u32::try_from(stale.expired_at).unwrap_or(u32::MAX));
        let why = if stale.why.is_empty() { String::new() } else { format!("; {}", stale.why) };
        add_ede(&mut m, code, format!("stale answer: the data expired {since}{why}"));
    }
    match &r.security {
        Security::Secure => {
            with_data(&mut m);
            m.header.flags.ad = wants_ad;
        }
        Security::Insecure(info) => {
            with_data(&mut m);
            if let Some(f) = info {
                let (code, text) = f.ede();
                add_ede(&mut m, code, text);
            }
        }
        Security::Bogus(f) if cd => {
            // RFC 6840 §5.9: CD=1 gets the data, without AD.
            with_data(&mut m);
            for (code, text) in f.edes(true) {
                add_ede(&mut m, code, text);
            }
        }
        Security::Bogus(f) | Security::Servfail(f) => {
            m.header.rcode = Rcode::SERVFAIL;
            let edes = f.edes(matches!(r.security, Security::Bogus(_)));
            let cached = edes.iter().any(|(c, _)| *c == EDE_CACHED_ERROR);
            for (code, text) in edes {
                add_ede(&mut m, code, text);
            }
            // A cached failure from a cache that did not say its age.
            if r.from_cache && !cached {
                add_ede(&mut m, EDE_CACHED_ERROR, "a cached verdict".to_owned());
            }
        }
    }
    m
}

/// The RFC 8482 answer to ANY: one synthesised HINFO.
pub fn minimal_any(q: &Message) -> Message {
    let mut m = reply_to(q, Rcode::NOERROR);
    if let Some(qd) = q.question() {
        m.answers.push(Record::new(
            qd.name.clone(),
            3600,
            RData::Hinfo(candor_wire::Hinfo { cpu: b"RFC8482".to_vec(), os: Vec::new() }),
        ));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{query, resolution};

    #[test]
    fn dnssec_records_go_only_to_do_clients_unless_asked_for_by_type() {
        let sig = "example. 300 RRSIG SOA 13 1 300 2000000000 1000000000 1 example. AAAA\n";
        let soa = format!("example. 300 SOA ns.example. h.example. 1 2 3 4 5\n{sig}");
        let r = resolution(Rcode::NOERROR, &soa, Security::Secure);
        assert_eq!(shape(&query(RType::SOA, false), &r).answers.len(), 1, "RRSIG stripped without DO");
        assert_eq!(shape(&query(RType::SOA, true), &r).answers.len(), 2);
        let sigs = resolution(Rcode::NOERROR, sig, Security::Insecure(None));
        let m = shape(&query(RType::RRSIG, false), &sigs);
        assert_eq!(m.answers.len(), 1, "RRSIG asked for: RFC 4035 §3.2.1");
        assert!(!m.header.flags.ad);
    }

    #[test]
    fn a_stale_answer_says_since_when_and_why_and_a_stale_nxdomain_says_so_apart() {
        let mut r = resolution(Rcode::NOERROR, "example. 30 SOA ns.example. h.example. 1 2 3 4 5\n", Security::Secure);
        r.stale = Some(Box::new(candor_resolver::Stale {
            expired_at: 1_800_000_000,
            why: "refreshing it failed: no server answered".to_owned(),
        }));
        let m = shape(&query(RType::SOA, true), &r);
        let edes = m.edns.as_ref().unwrap().options.to_vec();
        assert_eq!(edes.len(), 1, "{edes:?}");
        let candor_wire::EdnsOption::Ede(e) = &edes[0] else { panic!("{edes:?}") };
        assert_eq!(e.code, 3);
        assert_eq!(
            e.text,
            "stale answer: the data expired 2027-01-15T08:00:00Z; refreshing it failed: no server answered"
        );
        assert!(m.header.flags.ad, "secure stale data keeps AD");
        r.rcode = Rcode::NXDOMAIN;
        let m = shape(&query(RType::SOA, true), &r);
        let Some(candor_wire::EdnsOption::Ede(e)) = m.edns.as_ref().unwrap().options.first() else { panic!() };
        assert_eq!(e.code, 19);
    }
}
