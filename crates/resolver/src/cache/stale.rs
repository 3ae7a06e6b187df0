//! Serve-stale (RFC 8767) on the answer cache: an answer past its expiry
//! is kept for [`CacheLimits::serve_stale`](super::CacheLimits) more, and
//! served when its refresh fails: TTLs of 30 s, AD only while its RRSIGs
//! are still inside their validity window, never for bogus data or a
//! SERVFAIL. After a failed refresh the expired answer is served without
//! asking again for [`RECHECK`] (RFC 8767 §5's failure-recheck timer).

use std::time::Duration;

use candor_wire::{Name, RData, RType};

use super::Cache;
use crate::security::{Resolution, Security, Stale};
use crate::sync::lock;

/// The TTL of a stale answer (RFC 8767 §4).
pub(crate) const STALE_TTL: u32 = 30;

/// How long after a failed refresh the expired answer is served without
/// asking the authorities again.
pub(crate) const RECHECK: Duration = Duration::from_secs(30);

impl Cache {
    /// The expired answer to the question, if it may be served stale at
    /// `now` (`unix_now` by the wall clock): with `recent_failure`, only
    /// while a failed refresh is younger than [`RECHECK`] (its reason
    /// given). TTLs at [`STALE_TTL`]; secure only while every RRSIG it
    /// carries is still valid.
    pub(crate) fn stale(
        &self,
        qname: &Name,
        qtype: RType,
        (now, unix_now): (Duration, u64),
        recent_failure: bool,
    ) -> Option<Resolution> {
        let window = self.limits.serve_stale?;
        let key = (qname.to_lowercase(), qtype);
        let mut shard = lock(self.shard(&key));
        let e = shard.get(&key)?;
        if e.expires > now || !e.servable_stale(now, Some(window)) {
            return None;
        }
        let why = match &e.refresh_failed {
            Some((at, why)) if now < at.saturating_add(RECHECK) => why.clone(),
            _ if recent_failure => return None,
            _ => String::new(),
        };
        let mut r = e.resolution.clone();
        let ago = now.saturating_sub(e.expires).as_secs();
        drop(shard);
        r.from_cache = true;
        let mut signatures_valid = true;
        for rr in r.answers.iter_mut().chain(r.authority.iter_mut()).chain(r.additional.iter_mut()) {
            rr.ttl = STALE_TTL;
            if let RData::Rrsig(s) = &rr.data {
                // Serial arithmetic: expired when `now` is past it.
                signatures_valid &= (s.expiration.wrapping_sub(unix_now as u32) as i32) > 0;
            }
        }
        if r.security == Security::Secure && !signatures_valid {
            r.security = Security::Insecure(None);
        }
        r.stale = Some(Box::new(Stale { expired_at: unix_now.saturating_sub(ago), why }));
        Some(r)
    }

    /// A refresh of the question's expired answer failed at `now`, for
    /// `why`: it is served stale, without asking, for [`RECHECK`].
    pub(crate) fn refresh_failed(&self, qname: &Name, qtype: RType, now: Duration, why: String) {
        let key = (qname.to_lowercase(), qtype);
        lock(self.shard(&key)).update(&key, |e| e.refresh_failed = Some((now, why)));
    }
}
