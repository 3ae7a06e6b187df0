//! Prefetch: an answer a client asks for in the last tenth of its life
//! (at least its last second) is refreshed in the background, once, so
//! popular names never expire under their clients. The cache says when an
//! entry is due ([`crate::Cache`] marks it, once); the question goes into
//! a bounded queue (a full queue drops it: a prefetch is an optimisation)
//! and a task refreshes it: resolved past the cache, and cached unless the
//! refresh failed (the live answer stays). The task holds the resolver
//! weakly and ends with it. The server's response cache signals its own
//! hits the same way ([`Resolver::prefetch`]).
//!
//! Key prefetch: a zone cut used in the last tenth of its life is
//! refreshed the same way ([`crate::iterator::cuts::Cuts::due_for_refresh`]):
//! its zone's NS question is walked again from the parent, so the
//! referral, the DS RRset and the zone's DNSKEY RRset are fetched and
//! validated anew and the cut kept again (the root: primed, its keys
//! checked against the anchors).

use std::sync::Arc;

use candor_wire::{Name, RType};

use crate::clock::Clock;
use crate::inflight::Join;
use crate::refresh::Refresh;
use crate::resolver::Resolver;
use crate::transport::Transport;
use crate::work::Work;

/// Questions waiting to be refreshed at most.
const QUEUE: usize = 1024;

impl<T: Transport + 'static, C: Clock + 'static> Resolver<T, C> {
    /// Start refreshing answers ahead of their expiry (on the current tokio
    /// runtime; false when there is none, or it runs already, or the
    /// configuration has prefetch off).
    pub fn start_prefetching(self: &Arc<Self>) -> bool {
        if !self.cfg.cache.prefetch {
            return false;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return false };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Refresh>(QUEUE);
        if self.prefetch.set(tx).is_err() {
            return false;
        }
        let weak = Arc::downgrade(self);
        rt.spawn(async move {
            while let Some(what) = rx.recv().await {
                let Some(r) = weak.upgrade() else { break };
                tokio::spawn(async move {
                    match what {
                        Refresh::Answer(name, qtype) => r.refresh(&name, qtype).await,
                        Refresh::Cut(zone) => r.refresh_cut(&zone).await,
                    }
                });
            }
        });
        true
    }
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Refresh `qname`/`qtype` in the background, if prefetching runs (and
    /// its queue has room).
    pub fn prefetch(&self, qname: &Name, qtype: RType) {
        if let Some(tx) = self.prefetch.get() {
            let _ = tx.try_send(Refresh::Answer(qname.clone(), qtype));
        }
    }

    /// Refresh the cut of `zone` in the background, if prefetching runs.
    pub(crate) fn prefetch_cut(&self, zone: &Name) {
        if let Some(tx) = self.prefetch.get() {
            let _ = tx.try_send(Refresh::Cut(zone.clone()));
        }
    }

    /// Walk to `zone` again from above it (the root: prime it again), so
    /// its cut is kept anew with fresh servers and keys; nothing else is
    /// cached from the walk but what validation learned on the way.
    pub(crate) async fn refresh_cut(&self, zone: &Name) {
        let mut work = Work { budget: self.budget(), refreshing_cut: true, ..Work::default() };
        if zone.is_root() {
            let _ = self.root_cut(&mut work).await;
        } else if let Join::Lead(leader) = self.in_flight.join(zone, RType::NS) {
            let r = self.resolve_with(zone, RType::NS, &mut work).await;
            leader.finish(&r);
        }
        self.counters.prefetched();
        tracing::debug!(zone = %zone, "zone cut refreshed ahead of expiry");
    }

    /// Resolve `qname`/`qtype` past the cache and keep the result unless it
    /// failed (unless the same question is being resolved already).
    pub(crate) async fn refresh(&self, qname: &Name, qtype: RType) {
        if let Join::Lead(leader) = self.in_flight.join(qname, qtype) {
            let (r, _) = self.resolve_and_keep(qname, qtype, false).await;
            self.counters.prefetched();
            leader.finish(&r);
        }
    }
}
