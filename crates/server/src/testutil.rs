//! What the server's unit tests share.

use candor_resolver::{Resolution, Security};
use candor_wire::text::parse_zone;
use candor_wire::{Edns, Message, Name, Question, RType, Rcode};

/// A query for `example.`/`qtype` with EDNS, DO as given.
pub(crate) fn query(qtype: RType, dnssec_ok: bool) -> Message {
    let mut q = Message::query(1, Question::new("example.".parse::<Name>().unwrap(), qtype));
    q.edns = Some(Edns { dnssec_ok, ..Edns::default() });
    q
}

/// A resolution of `rcode` answering with the records of `answers` (zone
/// text), with the verdict `security`.
pub(crate) fn resolution(rcode: Rcode, answers: &str, security: Security) -> Resolution {
    Resolution {
        rcode,
        answers: parse_zone(answers, None).unwrap(),
        authority: Vec::new(),
        security,
        from_cache: false,
        additional: Vec::new(),
        stale: None,
    }
}
