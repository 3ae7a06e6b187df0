//! The [`Resolver`]: its state, its operator API (flushes, negative trust
//! anchors, statistics), the answers it can give without the network, and
//! the `resolve()` shell that runs a question through chain, iterator and
//! validator and caches the result.

use std::time::Duration;

use candor_anchor::Anchors;
use candor_wire::{Name, RData, RType, Rcode};

use crate::budget::Budget;
use crate::cache::{Cache, MemoryShares};
use crate::clock::Clock;
use crate::config::{Config, Forward};
use crate::failure::FailureKind;
use crate::inflight::{InFlight, Join, outcome};
use crate::iterator::cuts::{Cuts, GlueCache};
use crate::iterator::select::ServerStats;
use crate::security::{Resolution, Security};
use crate::sync::lock;
use crate::trace::Link;
use crate::transport::Transport;
use crate::why::KeptFailure;
use crate::work::Work;

/// The resolver.
pub struct Resolver<T: Transport, C: Clock> {
    pub(crate) cfg: Config,
    pub(crate) transport: T,
    pub(crate) clock: C,
    pub(crate) cache: std::sync::Arc<Cache>,
    pub(crate) stats: std::sync::Arc<ServerStats>,
    pub(crate) cuts: std::sync::Arc<Cuts>,
    /// Referral glue, by name server, for server addresses only.
    pub(crate) glue: std::sync::Arc<GlueCache>,
    /// Negative trust anchors (changed at run time by the operator).
    pub(crate) ntas: std::sync::Mutex<Anchors>,
    /// The RFC 5011 state as last read or written (`None`: not read yet):
    /// the file is read once, not per query.
    pub(crate) anchor_state: std::sync::Mutex<Option<Result<Option<candor_anchor::Rfc5011>, ()>>>,
    /// Resolutions under way, so identical questions wait for one.
    pub(crate) in_flight: InFlight,
    /// RFC 5011 state writes: the last one started, and the last one
    /// written (writes run off the runtime; an older one never lands last).
    pub(crate) anchor_writes: (std::sync::atomic::AtomicU64, std::sync::Arc<std::sync::Mutex<u64>>),
    /// The last failure of each question that failed (`control why`).
    pub(crate) failures: std::sync::Arc<crate::why::Failures>,
    /// Recent signature-window failures by zone, for the clock check.
    pub(crate) clock_votes: std::sync::Mutex<crate::skew::Votes>,
    /// The validity window (inception, expiration) of the root DNSKEY
    /// RRset's signature last verified.
    pub(crate) root_window: std::sync::Mutex<Option<(u32, u32)>>,
    /// Signature verdicts, so one signature over the same data is verified once.
    pub(crate) verdicts: std::sync::Arc<crate::validator::verdicts::Verdicts>,
    /// Public-key operations performed since start (remembered verdicts
    /// not counted).
    pub(crate) verified: std::sync::atomic::AtomicU64,
    /// What the operator's metrics read (kept across reloads).
    pub(crate) counters: std::sync::Arc<crate::counters::Counters>,
    /// Questions to refresh ahead of expiry (set when prefetching runs).
    pub(crate) prefetch: std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::refresh::Refresh>>,
    /// The earliest signature expiration seen per zone (early warning).
    pub(crate) expiring: std::sync::Arc<crate::expiry::Expiring>,
    /// DNS cookies toward authoritative servers (kept across reloads).
    pub(crate) cookies: std::sync::Arc<crate::cookies::ClientCookies>,
    /// Minimised names that got an NXDOMAIN ending nothing, lately.
    pub(crate) dead_ends: crate::iterator::dead_ends::DeadEnds,
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// A resolver over `transport` and `clock`.
    pub fn new(cfg: Config, transport: T, clock: C) -> Resolver<T, C> {
        let stats = ServerStats::new(cfg.server_exploration);
        let cache = Cache::new(cfg.cache);
        let cuts = Cuts::new(MemoryShares::of(cfg.cache.memory, MemoryShares::CUTS));
        let failures = crate::why::Failures::new(MemoryShares::of(cfg.cache.memory, MemoryShares::FAILURES));
        let verdicts =
            crate::validator::verdicts::Verdicts::within(MemoryShares::of(cfg.cache.memory, MemoryShares::VERDICTS));
        let mut ntas = Anchors::empty();
        for n in cfg.anchors.negatives() {
            ntas.add_negative(n.zone.clone(), n.expires);
        }
        Resolver {
            cfg,
            transport,
            clock,
            cache: cache.into(),
            stats: stats.into(),
            cuts: cuts.into(),
            glue: Default::default(),
            ntas: ntas.into(),
            anchor_state: std::sync::Mutex::new(None),
            in_flight: InFlight::default(),
            anchor_writes: Default::default(),
            failures: failures.into(),
            clock_votes: Default::default(),
            root_window: Default::default(),
            verdicts: std::sync::Arc::new(verdicts),
            verified: std::sync::atomic::AtomicU64::new(0),
            counters: Default::default(),
            prefetch: std::sync::OnceLock::new(),
            expiring: Default::default(),
            cookies: std::sync::Arc::new(crate::cookies::ClientCookies::new()),
            dead_ends: Default::default(),
        }
    }

    /// The same resolver counting into `counters` (a reloaded resolver
    /// takes over its predecessor's, so the metrics do not start again).
    pub fn with_counters(mut self, counters: std::sync::Arc<crate::counters::Counters>) -> Resolver<T, C> {
        self.counters = counters;
        self
    }

    /// Upstream outcomes, round-trip times, verdicts and budget trips.
    pub fn counters(&self) -> &std::sync::Arc<crate::counters::Counters> {
        &self.counters
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The cache (counters, flushes).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Forget everything: answers, servers and keys.
    pub fn flush_all(&self) {
        self.cache.clear();
        lock(&self.cuts.map).clear();
        lock(&self.glue.map).clear();
        self.dead_ends.clear();
    }

    /// What [`Resolver::resolve`] would answer without sending a query (a
    /// locally served zone or the cache), or `None` when it would need the
    /// network. Lets a server answer hits on the receiving task.
    pub fn answer_now(&self, qname: &Name, qtype: RType) -> Option<Resolution> {
        self.answer_now_with_lifetime(qname, qtype).map(|(r, _)| r)
    }

    /// [`Resolver::answer_now`], with how long the answer may be reused as
    /// it is (the cache entry's remaining life; `Duration::MAX` for a
    /// locally served zone), for a cache of finished responses.
    pub fn answer_now_with_lifetime(&self, qname: &Name, qtype: RType) -> Option<(Resolution, Duration)> {
        let (mut r, left) = self.answer_now_unchecked(qname, qtype)?;
        self.key_sentinel(qname, qtype, &mut r);
        Some((r, left))
    }

    pub(crate) fn answer_now_unchecked(&self, qname: &Name, qtype: RType) -> Option<(Resolution, Duration)> {
        if self.cfg.local_zones
            && let Some(local) = crate::policy::local::answer(qname, qtype, &self.cfg.local_zones_off)
        {
            return Some((local, Duration::MAX));
        }
        let now = self.clock.monotonic();
        if let Some((hit, left, due)) = self.cache.get_prefetching(qname, qtype, now) {
            if due {
                self.prefetch(qname, qtype);
            }
            return Some((hit, left));
        }
        // The answer cache was just asked: the RRset store alone is left.
        if !matches!(qtype, RType::ANY | RType::RRSIG)
            && let Some((answers, secure, left)) = self.cache.kept_rrset(qname, qtype, now)
        {
            return Some((Resolution::cached(Rcode::NOERROR, answers, secure), left));
        }
        self.cached_denial(qname, qtype)
    }

    /// RFC 8020, then RFC 8198 (NSEC records that deny the question),
    /// unless the operator configured other servers for a zone below the
    /// one that denied the name (a stub or forward zone) or switched
    /// validation off there (an NTA); those are looked at only when a
    /// denial is found.
    pub(crate) fn cached_denial(&self, qname: &Name, qtype: RType) -> Option<(Resolution, Duration)> {
        let now = self.clock.monotonic();
        let nx = self
            .cache
            .nxdomain_above(qname, now)
            .or_else(|| self.cache.nsec_denial(qname, qtype, now, &self.cfg.denial, self.cfg.hash_budget))?;
        let denier = nx.0.authority.iter().find(|rr| rr.rtype() == RType::SOA).map(|rr| &rr.owner);
        (!self.configured_below(qname, denier)).then_some(nx)
    }

    /// Whether the operator configured other servers for `qname` in a zone
    /// below `zone` (where the cache's proof came from: `None` when not
    /// known), or switched validation off for it (an NTA): then the cache's
    /// proof does not decide the question.
    pub(crate) fn configured_below(&self, qname: &Name, zone: Option<&Name>) -> bool {
        let overridden = |f: Option<Forward>| match (f, zone) {
            (Some(f), Some(zone)) => f.zone.is_subdomain_of(zone) && f.zone != *zone,
            (Some(_), None) => true,
            (None, _) => false,
        };
        overridden(self.stub_for(qname))
            || overridden(self.forward_for(qname))
            || lock(&self.ntas).negative_for(qname, self.clock.unix()).is_some()
    }

    /// For RD=0 questions the caches cannot answer: a referral to the
    /// closest zone whose NS RRset is cached, with its servers' cached
    /// addresses (as Unbound and BIND answer non-recursive queries). Secure
    /// when the NS RRset was. `None` when no delegation is cached.
    pub fn referral_from_cache(&self, qname: &Name) -> Option<Resolution> {
        let now = self.clock.monotonic();
        let (authority, secure) =
            qname.ancestors().find_map(|z| self.cache.rrset(&z, RType::NS, now)).map(|(r, s, _)| (r, s))?;
        let mut additional = Vec::new();
        for ns in authority.iter().filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            _ => None,
        }) {
            for t in [RType::A, RType::AAAA] {
                if let Some((records, _, _)) = self.cache.rrset(ns, t, now) {
                    additional.extend(records);
                }
            }
        }
        let mut r = Resolution::cached(Rcode::NOERROR, Vec::new(), secure);
        r.authority = authority;
        r.additional = additional;
        Some(r)
    }

    /// The resolver's monotonic time (for copies of its answers).
    pub fn monotonic(&self) -> Duration {
        self.clock.monotonic()
    }

    /// Forget everything at and below `zone`: answers, servers and keys
    /// (an operator who fixed a zone wants it resolved afresh).
    pub fn flush(&self, zone: &Name) {
        self.cache.flush(zone, true);
        self.cuts.flush(zone);
        self.glue.flush(zone);
    }

    /// The time now, in seconds since the epoch, by the resolver's clock.
    pub fn unix_now(&self) -> u64 {
        self.clock.unix()
    }

    /// The transport (tests read what a scripted one was asked).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Resolve `qname`/`qtype`: from the cache, or from the root,
    /// validating as it goes (the result is cached with its verdict).
    ///
    /// The same question asked again while it is being resolved waits for
    /// that resolution (one upstream query for all of them).
    pub async fn resolve(&self, qname: &Name, qtype: RType) -> Resolution {
        self.resolve_costed(qname, qtype).await.0
    }

    /// [`Resolver::resolve`], and the queries it sent upstream (none for
    /// an answer from the cache, or one an identical question under way
    /// gave: those were that question's).
    pub async fn resolve_costed(&self, qname: &Name, qtype: RType) -> (Resolution, u32) {
        // A follower whose leader was cancelled joins again (at most a few
        // times: then it resolves on its own).
        for _ in 0..3 {
            if let Some(now) = self.answer_now(qname, qtype) {
                return (now, 0);
            }
            // Its refresh failed moments ago: stale, without asking again.
            if let Some(stale) = self.cache.stale(qname, qtype, (self.clock.monotonic(), self.clock.unix()), true) {
                return (stale, 0);
            }
            match self.in_flight.join(qname, qtype) {
                Join::Lead(leader) => {
                    let (r, queries) = self.resolve_and_keep(qname, qtype, true).await;
                    leader.finish(&r);
                    return (r, queries);
                }
                Join::Follow(rx) => {
                    if let Some(r) = outcome(rx).await {
                        return (r, 0);
                    }
                }
            }
        }
        self.resolve_and_keep(qname, qtype, true).await
    }

    /// Resolve past the cache, and cache the result (a failure only when
    /// `failures`: a prefetch that fails leaves the live answer in place);
    /// the queries sent.
    pub(crate) async fn resolve_and_keep(&self, qname: &Name, qtype: RType, failures: bool) -> (Resolution, u32) {
        let (mut r, queries) = self.resolve_uncached(qname, qtype).await;
        if !failures && matches!(r.security, Security::Servfail(_)) {
            return (r, queries);
        }
        // No answer could be had: the expired one, if there is one (RFC
        // 8767), and the failure kept for `control why`.
        if let Security::Servfail(f) = &r.security
            && let Some(stale) = self.refresh_failed(qname, qtype, f)
        {
            return (stale, queries);
        }
        self.key_sentinel(qname, qtype, &mut r);
        self.apply_negative_anchor(qname, &mut r);
        if let Security::Bogus(f) = &mut r.security {
            self.suspect_clock(f);
        }
        self.cache.put(qname, qtype, &r, self.clock.monotonic(), self.clock.unix());
        self.counters.verdict(&r.security);
        self.watch_expiry(&r);
        if let Security::Bogus(f) | Security::Servfail(f) = &r.security {
            let bogus = matches!(r.security, Security::Bogus(_));
            self.failures.keep(qname, qtype, KeptFailure { at: self.clock.unix(), bogus, failure: (**f).clone() });
        }
        (r, queries)
    }

    /// The refresh of `qname`/`qtype` failed with `f`: its expired answer
    /// (served stale, and without asking again for a while), if it has one.
    fn refresh_failed(&self, qname: &Name, qtype: RType, f: &crate::Failure) -> Option<Resolution> {
        let now = (self.clock.monotonic(), self.clock.unix());
        self.cache.stale(qname, qtype, now, false)?;
        let why = format!("refreshing it failed: {}", f.ede().1);
        self.cache.refresh_failed(qname, qtype, now.0, why);
        self.failures.keep(qname, qtype, KeptFailure { at: now.1, bogus: false, failure: f.clone() });
        self.cache.stale(qname, qtype, now, true)
    }

    /// The expired answer to the question, served stale because its
    /// refresh is taking longer than the client should wait (RFC 8767's
    /// client response timer); the refresh goes on.
    pub fn stale_answer(&self, qname: &Name, qtype: RType) -> Option<Resolution> {
        let mut r = self.cache.stale(qname, qtype, (self.clock.monotonic(), self.clock.unix()), false)?;
        if let Some(s) = r.stale.as_mut().filter(|s| s.why.is_empty()) {
            s.why = "its refresh is still under way".to_owned();
        }
        Some(r)
    }

    /// Note a secure answer's signature expirations; warn (once per zone
    /// and expiration) about a zone whose signatures end soon.
    fn watch_expiry(&self, r: &Resolution) {
        let now = self.clock.unix();
        for (zone, exp) in self.expiring.observe(r, now, self.cfg.expiry_warning.as_secs()) {
            let left = crate::time_text::span(crate::time_text::until(exp, now));
            let at = crate::time_text::iso(exp);
            tracing::warn!(
                zone = %zone,
                expires = %at,
                "zone {zone}: RRSIGs expire in {left} ({at}); re-sign before then, the signer may have stopped"
            );
        }
    }

    /// The zones seen in secure answers of the last two days whose
    /// signatures expire soonest, at most `n`: (zone, expiration, unix).
    pub fn expiring(&self, n: usize) -> Vec<(Name, u32)> {
        self.expiring.soonest(self.clock.unix(), n)
    }

    /// A signature-window failure votes on the local clock; when enough
    /// unrelated zones agree (and the root allows it), the failure says
    /// the clock is the likely cause, and the log says it once per vote.
    fn suspect_clock(&self, f: &mut crate::Failure) {
        use crate::skew::Direction;
        let now = self.clock.unix();
        let (direction, skew) = match (f.kind, f.window) {
            (FailureKind::SignatureExpired, Some((_, exp))) => (Direction::Ahead, (now as u32).wrapping_sub(exp)),
            (FailureKind::SignatureNotYetValid, Some((inc, _))) => (Direction::Behind, inc.wrapping_sub(now as u32)),
            _ => return,
        };
        if f.zone.is_root() {
            return; // the root's own failure is a clock failure already
        }
        let root = *crate::sync::lock(&self.root_window);
        let suspicion = crate::sync::lock(&self.clock_votes).vote(&f.zone, direction, u64::from(skew), now, root);
        if let Some(s) = suspicion {
            tracing::warn!(
                zones = s.zones,
                by = s.by,
                "the local clock looks wrong: signatures of several unrelated zones fail their windows the same way"
            );
            f.evidence.push(crate::evidence::Evidence::ClockSuspect(s));
        }
    }

    /// The last failure of `qname`/`qtype` with all its evidence, while it
    /// is kept (`candor control why`).
    pub fn why(&self, qname: &Name, qtype: RType) -> Option<KeptFailure> {
        self.failures.get(qname, qtype)
    }

    /// Questions that waited for an identical one under way instead of
    /// being resolved again, since start; and resolutions under way now.
    pub fn merged_questions(&self) -> (u64, usize) {
        (self.in_flight.merged(), self.in_flight.running())
    }

    /// Resolve from the root as [`Resolver::resolve`] does, bypassing the
    /// answer cache, and hand back the chain of trust link by link as it
    /// was walked (for `candor trace`). Nothing is cached.
    pub async fn trace(&self, qname: &Name, qtype: RType) -> (Resolution, Vec<Link>) {
        let mut work = Work { budget: self.budget(), trace: Some(Vec::new()), ..Work::default() };
        let r = self.resolve_with(qname, qtype, &mut work).await;
        (r, work.trace.unwrap_or_default())
    }

    pub(crate) async fn resolve_uncached(&self, qname: &Name, qtype: RType) -> (Resolution, u32) {
        let mut work = Work { budget: self.budget(), ..Work::default() };
        let mut r = self.resolve_with(qname, qtype, &mut work).await;
        // Bogus data came from the server that answered last.
        if let Security::Bogus(f) = &mut r.security
            && f.server().is_none()
        {
            f.source = work.last_server.map(|a| Box::new(crate::failure::Source::Authority(a)));
        }
        self.verified.fetch_add(u64::from(work.budget.spent.verifications), std::sync::atomic::Ordering::Relaxed);
        (r, work.budget.queries)
    }

    /// Signature verifications (public-key operations) performed since
    /// start; a signature whose verdict was remembered costs none.
    pub fn verifications(&self) -> u64 {
        self.verified.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A fresh budget for one client question, starting now, with the
    /// shared signature verdicts.
    pub(crate) fn budget(&self) -> Budget {
        let mut b = Budget::starting(self.clock.monotonic());
        b.spent.memo = Some(std::sync::Arc::clone(&self.verdicts));
        b
    }
}
