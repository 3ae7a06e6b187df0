//! Negative trust anchors (RFC 7646): the operator turns validation off
//! at and below a zone for a while; answers there are insecure, and a
//! failure they hide is logged.

use crate::clock::Clock;
use crate::resolver::Resolver;
use crate::sync::lock;
use crate::transport::Transport;
use candor_wire::Name;

impl<T: Transport, C: Clock> Resolver<T, C> {
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
