//! The root key sentinel (RFC 8509): lets a client learn which root keys
//! this resolver trusts.

use candor_wire::{Name, RType};

use crate::clock::Clock;
use crate::failure::{Failure, FailureKind};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::transport::Transport;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// RFC 8509: a secure answer for `root-key-sentinel-is-ta-TAG` becomes
    /// SERVFAIL when TAG is not a root trust anchor here, and one for
    /// `root-key-sentinel-not-ta-TAG` when it is, so a client can tell
    /// which root keys its resolver trusts. Only A and AAAA questions are
    /// processed so (RFC 8509 §3.2).
    pub(crate) fn key_sentinel(&self, qname: &Name, qtype: RType, r: &mut Resolution) {
        if r.security != Security::Secure || !matches!(qtype, RType::A | RType::AAAA) {
            return;
        }
        let Some(label) = qname.first_label() else { return };
        let label = label.to_ascii_lowercase();
        let (is_ta, digits) = if let Some(d) = label.strip_prefix(b"root-key-sentinel-is-ta-") {
            (true, d)
        } else if let Some(d) = label.strip_prefix(b"root-key-sentinel-not-ta-") {
            (false, d)
        } else {
            return;
        };
        let Some(tag) = (digits.len() == 5 && digits.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(digits).ok()?.parse::<u16>().ok())
            .flatten()
        else {
            return;
        };
        if self.root_key_tags().contains(&tag) != is_ta {
            let f = Failure::new(FailureKind::KeySentinel, Name::root(), self.clock.unix()).rrset(qname, qtype);
            *r = Resolution::servfail(f);
        }
    }

    /// The key tags of the root keys this resolver trusts: the configured
    /// anchor's DS and DNSKEY records, and the keys its RFC 5011 state
    /// holds Valid or Missing (a refused state adds none). For the key
    /// sentinel, and for the operator at start-up.
    pub fn root_key_tags(&self) -> Vec<u16> {
        let mut tags: Vec<u16> = Vec::new();
        if let Some(a) = self.cfg.anchors.get(&Name::root()) {
            tags.extend(a.ds.iter().map(|d| d.key_tag));
            tags.extend(a.keys.iter().map(candor_crypto::key_tag));
        }
        if let Ok(Some(st)) = self.rfc5011_state() {
            tags.extend(st.trusted().iter().map(candor_crypto::key_tag));
        }
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}
