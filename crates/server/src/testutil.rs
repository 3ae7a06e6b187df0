//! What the server's unit tests share.

use candor_resolver::{Resolution, Security};
use candor_wire::Rcode;
use candor_wire::text::parse_zone;

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
    }
}
