//! Request checks before any resolution: parse errors (FORMERR), opcodes
//! (NOTIMP), the question count, EDNS version (BADVERS), the ACL (REFUSED
//! with EDE 18), the question's class (IN, or ANY answered as IN; others
//! REFUSED with EDE 21) and type (zone transfers REFUSED with EDE 21,
//! meta-types FORMERR or NOTIMP). Responses are never answered.

use std::net::IpAddr;

use candor_wire::{Class, Edns, Message, Opcode, RType, Rcode, WireError};

use crate::acl::Acl;
use crate::reply::{EDE_NOT_SUPPORTED, EDE_PROHIBITED, MAX_UDP, add_ede, reply_to};

/// What the request asks before any resolution: either a finished
/// response (errors, refusals) or the question to resolve.
pub enum Request {
    /// Answer this right away.
    Done(Message),
    /// Resolve this query.
    Resolve(Message),
}

/// Meta-type code points without a mnemonic in candor-wire.
const IXFR: u16 = 251;
const TKEY: u16 = 249;
const TSIG: u16 = 250;
const MAILB: u16 = 253;
const MAILA: u16 = 254;

/// Check a request: parse errors (FORMERR), opcodes (NOTIMP), EDNS
/// version (BADVERS), the ACL (REFUSED + EDE 18). `None` when nothing is
/// sent back: the ACL drops the client, or not even an ID can be read.
pub fn check(bytes: &[u8], client: IpAddr, acl: &Acl) -> Option<Request> {
    // A client the ACL drops gets nothing back, not even a FORMERR.
    if acl.action(client) == crate::acl::Action::Drop {
        return None;
    }
    let mut q = match Message::from_wire(bytes) {
        Ok(q) => q,
        Err(e) => {
            let id = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
            if bytes.get(2).is_some_and(|b| b & 0x80 != 0) {
                return None; // a response: never answer those
            }
            let mut m = Message::default();
            m.header.id = id;
            m.header.flags.qr = true;
            m.header.rcode = Rcode::FORMERR;
            if matches!(e, WireError::MultipleOpt { .. }) {
                m.edns = Some(Edns { udp_size: MAX_UDP, ..Edns::default() });
            }
            return Some(Request::Done(m));
        }
    };
    if q.header.flags.qr {
        return None;
    }
    if let Some(cookies) = acl.cookies() {
        crate::cookies::answer_with(cookies, &mut q, client, crate::cookies::unix_now());
    }
    if q.header.opcode != Opcode::QUERY {
        return Some(Request::Done(reply_to(&q, Rcode::NOTIMP)));
    }
    if q.questions.len() != 1 {
        return Some(Request::Done(reply_to(&q, Rcode::FORMERR)));
    }
    if q.edns.as_ref().is_some_and(|e| e.version > 0) {
        return Some(Request::Done(reply_to(&q, Rcode::BADVERS)));
    }
    if !acl.allows(client) {
        let mut m = reply_to(&q, Rcode::REFUSED);
        add_ede(&mut m, EDE_PROHIBITED, format!("{client} is not allowed to query this resolver"));
        return Some(Request::Done(m));
    }
    let qd = q.question()?;
    let refuse = |why: String| {
        let mut m = reply_to(&q, Rcode::REFUSED);
        add_ede(&mut m, EDE_NOT_SUPPORTED, why);
        Some(Request::Done(m))
    };
    // Class ANY is answered as IN (as Unbound does); CHAOS (version.bind),
    // Hesiod and the rest are not data this resolver has.
    if qd.qclass != Class::IN && qd.qclass != Class::ANY {
        return refuse(format!("class {} is not served by this resolver (IN only)", qd.qclass));
    }
    match qd.qtype {
        // Zone transfers are an authority's to give.
        RType::AXFR | RType(IXFR) => return refuse(format!("{} is not served by a recursive resolver", qd.qtype)),
        // Types that live only in a message, never in a zone (RFC 6895 §3.1).
        RType::OPT | RType(TKEY) | RType(TSIG) => return Some(Request::Done(reply_to(&q, Rcode::FORMERR))),
        // The obsolete mailbox meta-types (RFC 1035 §3.2.3).
        RType(MAILB) | RType(MAILA) => return Some(Request::Done(reply_to(&q, Rcode::NOTIMP))),
        _ => {}
    }
    Some(Request::Resolve(q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{EdnsOption, Name, Question};

    fn ask(qtype: RType, qclass: Class) -> Option<Message> {
        let mut q = Message::query(7, Question::new("version.bind.".parse::<Name>().unwrap(), qtype));
        q.questions[0].qclass = qclass;
        q.header.flags.rd = true;
        q.edns = Some(Edns::default());
        match check(&q.to_wire().unwrap(), "127.0.0.1".parse().unwrap(), &Acl::default())? {
            Request::Done(m) => Some(m),
            Request::Resolve(_) => None,
        }
    }

    fn ede(m: &Message) -> Option<u16> {
        m.edns.as_ref()?.options.iter().find_map(|o| match o {
            EdnsOption::Ede(e) => Some(e.code),
            _ => None,
        })
    }

    #[test]
    fn classes_other_than_in_and_any_are_refused_with_ede_21() {
        for class in [Class::CH, Class::HS, Class(42)] {
            let m = ask(RType::TXT, class).expect("answered at once");
            assert_eq!((m.header.rcode, ede(&m), m.header.flags.ad), (Rcode::REFUSED, Some(21), false), "{class}");
            assert!(m.answers.is_empty() && m.authority.is_empty());
        }
        assert!(ask(RType::TXT, Class::IN).is_none(), "IN is resolved");
        assert!(ask(RType::TXT, Class::ANY).is_none(), "ANY is resolved as IN");
    }

    #[test]
    fn transfers_and_meta_types_are_not_resolved() {
        for (t, rcode) in [
            (RType::AXFR, Rcode::REFUSED),
            (RType(IXFR), Rcode::REFUSED),
            (RType::OPT, Rcode::FORMERR),
            (RType(TSIG), Rcode::FORMERR),
            (RType(TKEY), Rcode::FORMERR),
            (RType(MAILA), Rcode::NOTIMP),
            (RType(MAILB), Rcode::NOTIMP),
        ] {
            let m = ask(t, Class::IN).expect("answered at once");
            assert_eq!(m.header.rcode, rcode, "{t}");
        }
        assert!(ask(RType::A, Class::IN).is_none());
    }
}
