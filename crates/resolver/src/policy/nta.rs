//! Negative trust anchors (RFC 7646): the operator turns validation off
//! at and below a zone for a while; answers there are insecure, and a
//! failure they hide is logged.

use candor_wire::Name;

use crate::clock::Clock;
use crate::failure::{Failure, FailureKind};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::sync::lock;
use crate::transport::Transport;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Under a negative trust anchor a secure or bogus verdict becomes
    /// insecure (EDE 33 with `nta-ede`); a failure it hides is logged.
    pub(crate) fn apply_negative_anchor(&self, qname: &Name, r: &mut Resolution) {
        if !matches!(r.security, Security::Secure | Security::Bogus(_)) {
            return;
        }
        let now = self.clock.unix();
        let Some(zone) = lock(&self.ntas).negative_for(qname, now).map(|nta| nta.zone.clone()) else { return };
        if let Security::Bogus(f) = &r.security {
            let (code, text) = f.ede();
            tracing::warn!(%zone, "negative trust anchor hides a failure of {qname}: EDE {code}: {text}");
        }
        let info = self.cfg.nta_ede.then(|| Failure::new(FailureKind::NegativeTrustAnchor, zone, now));
        r.security = Security::Insecure(info.map(Box::new));
    }

    /// Turn validation off at and below `zone` for `seconds` from now.
    pub fn add_negative_anchor(&self, zone: Name, seconds: u64) {
        let expires = self.clock.unix().saturating_add(seconds);
        lock(&self.ntas).add_negative(zone, expires);
        self.cache.invalidate_copies();
    }

    /// Remove the negative anchor of `zone`; true if there was one.
    pub fn remove_negative_anchor(&self, zone: &Name) -> bool {
        let removed = lock(&self.ntas).remove_negative(zone);
        self.cache.invalidate_copies();
        removed
    }

    /// The negative anchors in force: (zone, seconds left).
    pub fn negative_anchors(&self) -> Vec<(Name, u64)> {
        let now = self.clock.unix();
        let mut ntas = lock(&self.ntas);
        ntas.expire_negative(now);
        ntas.negatives().iter().map(|n| (n.zone.clone(), n.expires.saturating_sub(now))).collect()
    }
}
