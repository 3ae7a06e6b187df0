//! Building replies: a response carrying a query's question and flags,
//! EDE options, the EDE codes the server itself gives, and the largest UDP
//! answer it sends.

use candor_wire::{Edns, EdnsOption, ExtendedError, Message, Rcode};

/// Largest UDP answer this server sends (the DNS flag day 2020 value).
pub const MAX_UDP: u16 = 1232;

/// EDE 13: the answer came from the cache of a failure.
pub(crate) const EDE_CACHED_ERROR: u16 = 13;

/// EDE 18: the client is not allowed.
pub(crate) const EDE_PROHIBITED: u16 = 18;

/// EDE 20: not authoritative, and recursion was not asked for.
pub(crate) const EDE_NOT_AUTHORITATIVE: u16 = 20;

/// EDE 21: not supported (a class or query type a resolver does not serve).
pub(crate) const EDE_NOT_SUPPORTED: u16 = 21;

/// A response with the question and flags of `q`.
pub(crate) fn reply_to(q: &Message, rcode: Rcode) -> Message {
    let mut m = Message { header: q.header, questions: q.questions.clone(), ..Message::default() };
    m.header.flags.qr = true;
    m.header.flags.ra = true;
    m.header.flags.aa = false;
    m.header.flags.tc = false;
    m.header.flags.ad = false;
    m.header.flags.z = false;
    m.header.rcode = rcode;
    if let Some(e) = &q.edns {
        // The query's cookie, once the request checks have put the server
        // cookie to answer with in it (RFC 7873 §5.2).
        let cookie = e.options.iter().find(|o| matches!(o, EdnsOption::Cookie { .. })).cloned();
        m.edns = Some(Edns {
            udp_size: MAX_UDP,
            dnssec_ok: e.dnssec_ok,
            options: cookie.into_iter().collect(),
            ..Edns::default()
        });
    }
    m
}

pub(crate) fn add_ede(m: &mut Message, code: u16, text: String) {
    if let Some(e) = m.edns.as_mut() {
        e.options.push(EdnsOption::Ede(ExtendedError { code, text }));
    }
}
