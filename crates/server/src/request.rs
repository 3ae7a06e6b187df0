//! Request checks before any resolution: parse errors (FORMERR), opcodes
//! (NOTIMP), the question count, EDNS version (BADVERS), the ACL (REFUSED
//! with EDE 18). Responses are never answered.

use std::net::IpAddr;

use candor_wire::{Edns, Message, Opcode, Rcode, WireError};

use crate::acl::Acl;
use crate::reply::{EDE_PROHIBITED, MAX_UDP, add_ede, reply_to};

/// What the request asks before any resolution: either a finished
/// response (errors, refusals) or the question to resolve.
pub enum Request {
    /// Answer this right away.
    Done(Message),
    /// Resolve this query.
    Resolve(Message),
}

/// Check a request: parse errors (FORMERR), opcodes (NOTIMP), EDNS
/// version (BADVERS), the ACL (REFUSED + EDE 18). `None` when not even
/// an ID can be read (nothing is sent back).
pub fn check(bytes: &[u8], client: IpAddr, acl: &Acl) -> Option<Request> {
    let q = match Message::from_wire(bytes) {
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
    Some(Request::Resolve(q))
}
