//! The resolver and the ACL in service, each swapped whole on a reload,
//! and the server's metrics, which outlive them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use candor_resolver::{Clock, Resolver, Transport};

use crate::acl::Acl;
use crate::tally::ServerMetrics;

/// The resolver in service; replaced whole when the configuration is
/// reloaded (SIGHUP), while queries in flight finish on the old one. The
/// server's metrics, and the resolver's counters handed from one resolver
/// to the next, count on across reloads.
pub struct Current<T: Transport, C: Clock> {
    resolver: std::sync::RwLock<Arc<Resolver<T, C>>>,
    /// Who may query: swapped whole on a reload, like the resolver.
    acl: std::sync::RwLock<Arc<Acl>>,
    version: AtomicU64,
    metrics: Arc<ServerMetrics>,
    /// UDP response rate limiting, when on (set once, at start).
    rate_limit: std::sync::OnceLock<Arc<crate::ratelimit::RateLimit>>,
}

impl<T: Transport + 'static, C: Clock + 'static> Current<T, C> {
    /// Serve with `r`.
    pub fn new(r: Resolver<T, C>) -> Arc<Current<T, C>> {
        let r = Arc::new(r);
        // Answers due are refreshed ahead of expiry (on this runtime).
        r.start_prefetching();
        Arc::new(Current {
            resolver: std::sync::RwLock::new(r),
            acl: std::sync::RwLock::new(Arc::new(Acl::default())),
            version: AtomicU64::new(0),
            metrics: Arc::default(),
            rate_limit: std::sync::OnceLock::new(),
        })
    }

    /// Put `r` in service (it counts on where its predecessor stopped).
    pub fn set(&self, r: Resolver<T, C>) {
        let r = Arc::new(r.with_counters(Arc::clone(self.get().counters())));
        r.start_prefetching();
        match self.resolver.write() {
            Ok(mut g) => *g = r,
            Err(p) => *p.into_inner() = r,
        }
        self.version.fetch_add(1, Ordering::Release);
    }
}

impl<T: Transport, C: Clock> Current<T, C> {
    /// Limit UDP answers per client network from now on (before the
    /// listeners start; false when a limit is set already).
    pub fn limit_rate(&self, rl: crate::ratelimit::RateLimit) -> bool {
        self.rate_limit.set(Arc::new(rl)).is_ok()
    }

    /// The UDP rate limit, when on.
    pub(crate) fn rate_limit(&self) -> Option<Arc<crate::ratelimit::RateLimit>> {
        self.rate_limit.get().cloned()
    }

    /// The resolver to use now.
    pub fn get(&self) -> Arc<Resolver<T, C>> {
        match self.resolver.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Who may query now.
    pub fn acl(&self) -> Arc<Acl> {
        match self.acl.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Put `acl` in force (for UDP questions from now on, and for TCP
    /// connections accepted from now on and their questions).
    pub fn set_acl(&self, acl: Acl) {
        match self.acl.write() {
            Ok(mut g) => *g = Arc::new(acl),
            Err(p) => *p.into_inner() = Arc::new(acl),
        }
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Changes with every [`Current::set`] and [`Current::set_acl`]: a worker keeps the resolver it
    /// got and asks for it again only when this moved (a load of a value
    /// nobody writes between reloads: nothing contended per query).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Arc<ServerMetrics> {
        &self.metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_resolver::{Config, ManualClock, NetTransport, Upstream};

    fn resolver() -> Resolver<NetTransport, ManualClock> {
        let cfg = Config::new(vec!["127.0.0.1".parse().unwrap()], candor_anchor::Anchors::empty());
        Resolver::new(cfg, NetTransport::with_case_randomisation(false), ManualClock::at(1_800_000_000))
    }

    #[test]
    fn a_reloaded_resolver_counts_on_where_the_last_one_stopped() {
        let current = Current::new(resolver());
        current.get().counters().upstream(Upstream::Timeout);
        current.metrics().tally(crate::tally::Via::Udp).dropped();
        current.set(resolver());
        assert_eq!(current.version(), 1);
        assert_eq!(current.get().counters().upstream_count(Upstream::Timeout), 1, "the resolver's counters");
        assert_eq!(current.metrics().totals().dropped, 1, "the server's");
    }
}
