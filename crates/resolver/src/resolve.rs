//! The resolver's shell: iterate from the root through referrals, fetch
//! each zone's keys, validate the answer, and return a [`Resolution`].
//!
//! This first version has no cache and no QNAME minimisation, and resolves
//! NS names only from glue; each step's decisions (classifying a response,
//! validating keys, RRsets and denials) are the pure functions of
//! [`crate::validator`] and `candor-denial`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use candor_anchor::{Anchors, Rfc5011, StateError};
use candor_denial::{BudgetHasher, DenialError, Limits, Proof};
use candor_wire::{Ds, Edns, Message, Name, Question, RData, RType, Rcode, Record};

use crate::cache::{Cache, CacheLimits};
use crate::clock::Clock;
use crate::failure::{Failure, FailureKind};
use crate::outbound::Outbound;
use crate::select::ServerStats;
use crate::trace::{Link, LinkState, rrsets_of, sigs_of};
use crate::transport::{Protocol, Transport, TransportError};
use crate::validator::{KeyInput, KeysOutcome, Spent, TrustedKeys, Validator, rrsigs_for};

/// What the resolver concluded about the data it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// Proven by the chain of trust: AD-worthy.
    Secure,
    /// Provably not signed, or signed only in ways this resolver does not
    /// validate; the failure value (if any) carries the informational EDE.
    Insecure(Option<Failure>),
    /// Validation failed.
    Bogus(Failure),
    /// No answer could be had at all.
    Servfail(Failure),
}

/// The outcome of one resolution.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The rcode to give the client (before bogus/servfail handling).
    pub rcode: Rcode,
    /// Answer records (CNAME chain included).
    pub answers: Vec<Record>,
    /// Authority records (SOA and denial records for negative answers).
    pub authority: Vec<Record>,
    /// The verdict.
    pub security: Security,
    /// Served from the cache (a cached bogus result adds EDE 13).
    pub from_cache: bool,
    /// Additional records (name-server addresses), only when responses
    /// are not minimal ([`Config::minimal_responses`] off).
    pub additional: Vec<Record>,
}

impl Resolution {
    /// No answer: SERVFAIL carrying `f`.
    fn servfail(f: Failure) -> Resolution {
        Resolution {
            rcode: Rcode::SERVFAIL,
            answers: Vec::new(),
            authority: Vec::new(),
            security: Security::Servfail(f),
            from_cache: false,
            additional: Vec::new(),
        }
    }

    /// An answer made of cached RRsets (secure or insecure).
    fn cached(rcode: Rcode, answers: Vec<Record>, secure: bool) -> Resolution {
        Resolution {
            rcode,
            answers,
            authority: Vec::new(),
            security: if secure { Security::Secure } else { Security::Insecure(None) },
            from_cache: true,
            additional: Vec::new(),
        }
    }
}

/// The resolver's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Addresses of the root servers (from the hints).
    pub roots: Vec<IpAddr>,
    /// The port authoritative servers listen on (53; the lab's port in tests).
    pub port: u16,
    /// Trust anchors.
    pub anchors: Anchors,
    /// Validation settings and budget.
    pub validator: Validator,
    /// NSEC3 iteration cap.
    pub denial: Limits,
    /// NSEC3 hash budget per response, in SHA-1 blocks.
    pub hash_budget: u64,
    /// Where queries may go.
    pub outbound: Outbound,
    /// Per-query timeout.
    pub timeout: Duration,
    /// Cache limits.
    pub cache: CacheLimits,
    /// Upstream queries per resolution.
    pub max_queries: u32,
    /// Referrals followed per name.
    pub max_referrals: u32,
    /// CNAMEs followed per resolution.
    pub max_cnames: u32,
    /// Wall time one resolution may take (monotonic clock).
    pub max_time: Duration,
    /// Send each server only as much of the name as it needs (RFC 9156).
    pub qname_minimisation: bool,
    /// Answer localhost, the RFC 6303 zones and home.arpa locally.
    pub local_zones: bool,
    /// Locally served zones to resolve normally after all (one by one).
    pub local_zones_off: Vec<Name>,
    /// Flag answers under a negative trust anchor with EDE 33 (a draft code).
    pub nta_ede: bool,
    /// Where the root's RFC 5011 trust-anchor state is kept (`None`: no
    /// automated updates).
    pub anchor_state: Option<std::path::PathBuf>,
    /// Prime the root server list from the hints (RFC 8109).
    pub priming: bool,
    /// Now and then ask a random server of a zone first, so a recovered
    /// fast server is noticed (on by default; off makes the choice of
    /// server deterministic, as replays need).
    pub server_exploration: bool,
    /// Minimal responses (the default): a positive answer carries no
    /// authority NS RRset and no additional addresses. Off: the zone's NS
    /// RRset and its servers' addresses come along, each validated (a set
    /// that does not verify is left out).
    pub minimal_responses: bool,
    /// Glue for name servers outside the delegated zone (sibling glue: in
    /// the parent's bailiwick, but not the child's) is not used; those
    /// servers are looked up, and their glue is the last resort when the
    /// lookups give nothing (off by default).
    pub harden_unverified_glue: bool,
    /// Only glue within the referring zone's bailiwick is used (on, the
    /// default: out-of-bailiwick glue is how caches were poisoned). Off:
    /// any glue for the referral's name servers is used, as Unbound's
    /// `harden-glue: no` does.
    pub harden_glue: bool,
    /// Subtrees sent to upstream resolvers instead of being iterated
    /// (validation still happens here).
    pub forwards: Vec<Forward>,
    /// Zones whose authoritative servers are given here instead of found
    /// through referrals (the chain of trust still comes from the parent).
    pub stubs: Vec<Forward>,
}

impl Config {
    /// Defaults around the given roots and anchors.
    pub fn new(roots: Vec<IpAddr>, anchors: Anchors) -> Config {
        Config {
            roots,
            port: 53,
            anchors,
            validator: Validator::default(),
            denial: Limits::default(),
            hash_budget: 8192,
            outbound: Outbound::default(),
            timeout: Duration::from_millis(1500),
            cache: CacheLimits::default(),
            max_queries: 64,
            max_referrals: 16,
            max_cnames: 8,
            max_time: Duration::from_secs(10),
            qname_minimisation: true,
            local_zones: true,
            local_zones_off: Vec::new(),
            nta_ede: false,
            anchor_state: None,
            priming: true,
            minimal_responses: true,
            harden_unverified_glue: false,
            harden_glue: true,
            server_exploration: true,
            forwards: Vec::new(),
            stubs: Vec::new(),
        }
    }
}

/// A subtree (the root for everything) forwarded to upstream resolvers.
/// Its servers are always allowed, whatever the outbound policy says, so
/// forwarding to a LAN router works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The subtree.
    pub zone: Name,
    /// The upstream resolvers (address and port).
    pub servers: Vec<SocketAddr>,
}

/// What a DS query found.
enum DsAnswer {
    /// The child's trust.
    Trust(Trust),
    /// The answer is signed by this zone, between the parent and the child.
    SignedBelow(Name),
}

/// The trust state of the zone cut being walked.
#[derive(Debug, Clone)]
enum Trust {
    Secure(TrustedKeys),
    Insecure(Option<Failure>),
    Bogus(Failure),
}

/// A zone cut: the zone, its servers, its trust.
#[derive(Debug, Clone)]
struct Cut {
    zone: Name,
    servers: Vec<SocketAddr>,
    trust: Trust,
    /// Name servers whose addresses were not looked up (no glue, and
    /// others answered): asked for only when the known ones fail us.
    pending: Vec<Name>,
}

/// How long a zone cut (its servers and validated keys) is reused.
const CUT_TTL: Duration = Duration::from_secs(3600);
/// Zone cuts kept at most (all are dropped when it is exceeded).
const MAX_CUTS: usize = 10_000;

/// Zone cuts seen, with their servers and trust, so a resolution starts at
/// the deepest known cut instead of the root. A cut's servers live as long
/// as the delegation says; a bogus verdict only briefly (like a bogus
/// answer), after which the trust is established again with the same
/// servers instead of walking the delegation anew.
#[derive(Debug, Default)]
struct Cuts {
    map: std::sync::Mutex<std::collections::HashMap<Name, KeptCut>>,
}

/// A kept cut: when its servers expire, and when its trust does.
#[derive(Debug)]
struct KeptCut {
    cut: Cut,
    expires: Duration,
    trust_expires: Duration,
}

/// How long a bogus link of the chain is believed.
const BOGUS_CUT_TTL: Duration = Duration::from_secs(60);

impl Cuts {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Name, KeptCut>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The deepest live cut at or above `name`, and whether its trust is
    /// still current.
    fn closest(&self, name: &Name, now: Duration) -> Option<(Cut, bool)> {
        let m = self.lock();
        name.ancestors()
            .find_map(|a| m.get(&a).filter(|k| k.expires > now).map(|k| (k.cut.clone(), k.trust_expires > now)))
    }

    fn put(&self, cut: &Cut, ttl: Duration, now: Duration) {
        let trust_ttl = if matches!(cut.trust, Trust::Bogus(_)) { ttl.min(BOGUS_CUT_TTL) } else { ttl };
        let mut m = self.lock();
        if m.len() >= MAX_CUTS {
            m.clear();
        }
        m.insert(cut.zone.clone(), KeptCut { cut: cut.clone(), expires: now + ttl, trust_expires: now + trust_ttl });
    }

    /// A kept cut's trust established again; its servers keep their lifetime.
    fn retrust(&self, zone: &Name, trust: &Trust, now: Duration) {
        let mut m = self.lock();
        let Some(k) = m.get_mut(zone).filter(|k| k.expires > now) else { return };
        k.cut.trust = trust.clone();
        let left = k.expires - now;
        k.trust_expires = now + if matches!(trust, Trust::Bogus(_)) { left.min(BOGUS_CUT_TTL) } else { left };
    }

    fn flush(&self, zone: &Name) {
        self.lock().retain(|n, _| !n.is_subdomain_of(zone));
    }

    /// Add name servers to look up to a kept cut, leaving its lifetime as
    /// it is (the parent's delegation still decides when it is asked again).
    fn add_pending(&self, zone: &Name, names: Vec<Name>, now: Duration) {
        let mut m = self.lock();
        let Some(k) = m.get_mut(zone).filter(|k| k.expires > now) else { return };
        for n in names {
            if !k.cut.pending.contains(&n) && k.cut.pending.len() < MAX_PENDING {
                k.cut.pending.push(n);
            }
        }
    }
}

/// Name servers to look up kept with a cut at most.
const MAX_PENDING: usize = 8;

/// The resolver.
pub struct Resolver<T: Transport, C: Clock> {
    cfg: Config,
    transport: T,
    clock: C,
    cache: Cache,
    stats: ServerStats,
    cuts: Cuts,
    /// Referral glue, by name server, for server addresses only.
    glue: GlueCache,
    /// Negative trust anchors (changed at run time by the operator).
    ntas: std::sync::Mutex<Anchors>,
}

/// Name servers' addresses from the in-bailiwick glue of referrals, kept
/// so a later referral naming the same server without glue needs no
/// look-up (Unbound keeps glue the same way). Never used as an answer.
#[derive(Default)]
struct GlueCache {
    map: std::sync::Mutex<std::collections::HashMap<Name, (Vec<IpAddr>, Duration)>>,
}

/// Name servers whose glue is kept at most (all are dropped beyond).
const MAX_GLUE_NAMES: usize = 10_000;

impl GlueCache {
    fn put(&self, glue: &[(Name, IpAddr)], expires: Duration) {
        let mut m = lock(&self.map);
        if m.len() >= MAX_GLUE_NAMES {
            m.clear();
        }
        let mut fresh: Vec<Name> = Vec::new();
        for (name, addr) in glue {
            let name = name.to_lowercase();
            let e = m.entry(name.clone()).or_insert_with(|| (Vec::new(), expires));
            // A referral's glue replaces what an earlier one said.
            if !fresh.contains(&name) {
                *e = (Vec::new(), expires);
                fresh.push(name);
            }
            if !e.0.contains(addr) {
                e.0.push(*addr);
            }
        }
    }

    fn get(&self, name: &Name, now: Duration) -> Option<Vec<IpAddr>> {
        let m = lock(&self.map);
        m.get(&name.to_lowercase()).filter(|(_, exp)| *exp > now).map(|(a, _)| a.clone())
    }

    fn flush(&self, zone: &Name) {
        lock(&self.map).retain(|n, _| !n.is_subdomain_of(zone));
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Per-resolution counters.
#[derive(Debug, Default)]
struct Work {
    /// When the resolution started (monotonic).
    started: Duration,
    queries: u32,
    spent: Spent,
    /// Nesting of name-server address lookups.
    depth: u8,
    /// The chain of trust as walked, when a trace was asked for.
    trace: Option<Vec<Link>>,
    /// In-bailiwick glue seen in referrals: (name server, address), the
    /// parent side's word, kept for when the child side's lookup fails.
    glue: Vec<(Name, IpAddr)>,
    /// The server that gave the last usable response.
    last_server: Option<SocketAddr>,
    /// Records left out of responses for malformed RDATA: owner and type.
    scrubbed: Vec<(Name, RType)>,
}

impl Work {
    /// Note a link of the main resolution (not of name-server lookups).
    fn record(&mut self, link: impl FnOnce() -> Link) {
        if self.depth == 0
            && let Some(t) = self.trace.as_mut()
        {
            t.push(link());
        }
    }
}

fn link_state(t: &Trust) -> LinkState {
    match t {
        Trust::Secure(_) => LinkState::Ok,
        Trust::Insecure(f) => LinkState::Insecure(f.clone()),
        Trust::Bogus(f) => LinkState::Broken(f.clone()),
    }
}

fn security_state(s: &Security) -> LinkState {
    match s {
        Security::Secure => LinkState::Ok,
        Security::Insecure(f) => LinkState::Insecure(f.clone()),
        Security::Bogus(f) | Security::Servfail(f) => LinkState::Broken(f.clone()),
    }
}

/// How deep name-server address lookups may nest (an NS name whose zone's
/// NS names need lookups of their own, ...).
const MAX_NS_DEPTH: u8 = 3;
/// Servers asked at most for one answer when what they give is bogus.
const MAX_BOGUS_RETRIES: usize = 4;
/// Glue addresses remembered per resolution.
const MAX_GLUE_KEPT: usize = 64;
/// Name servers without glue looked up per referral.
const MAX_NS_LOOKUPS: usize = 3;

enum Reply {
    Answer(Message),
    Referral(Message, Name),
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// A resolver over `transport` and `clock`.
    pub fn new(cfg: Config, transport: T, clock: C) -> Resolver<T, C> {
        let stats = ServerStats::new(cfg.server_exploration);
        let cache = Cache::new(cfg.cache);
        let mut ntas = Anchors::empty();
        for n in cfg.anchors.negatives() {
            ntas.add_negative(n.zone.clone(), n.expires);
        }
        Resolver {
            cfg,
            transport,
            clock,
            cache,
            stats,
            cuts: Cuts::default(),
            glue: GlueCache::default(),
            ntas: ntas.into(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Per-server RTT statistics.
    pub fn server_stats(&self) -> &ServerStats {
        &self.stats
    }

    /// The cache (counters, flushes).
    pub fn cache(&self) -> &Cache {
        &self.cache
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

    /// Forget everything: answers, servers and keys.
    pub fn flush_all(&self) {
        self.cache.clear();
        lock(&self.cuts.map).clear();
        lock(&self.glue.map).clear();
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

    fn answer_now_unchecked(&self, qname: &Name, qtype: RType) -> Option<(Resolution, Duration)> {
        if self.cfg.local_zones
            && let Some(local) = crate::local::answer(qname, qtype, &self.cfg.local_zones_off)
        {
            return Some((local, Duration::MAX));
        }
        let now = self.clock.monotonic();
        if let Some(hit) = self.cache.get_with_lifetime(qname, qtype, now) {
            return Some(hit);
        }
        if !matches!(qtype, RType::ANY | RType::RRSIG)
            && let Some((answers, secure, left)) = self.cache.rrset(qname, qtype, now)
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
    fn cached_denial(&self, qname: &Name, qtype: RType) -> Option<(Resolution, Duration)> {
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
    fn configured_below(&self, qname: &Name, zone: Option<&Name>) -> bool {
        let overridden = |f: Option<Forward>| match (f, zone) {
            (Some(f), Some(zone)) => f.zone.is_subdomain_of(zone) && f.zone != *zone,
            (Some(_), None) => true,
            (None, _) => false,
        };
        overridden(self.stub_for(qname))
            || overridden(self.forward_for(qname))
            || lock(&self.ntas).negative_for(qname, self.clock.unix()).is_some()
    }

    /// RFC 8198 §5.4: `name`'s answer synthesised from a kept secure
    /// wildcard RRset (the asked type, or a CNAME to follow) that kept NSEC
    /// records prove applies; the proof goes in the authority section.
    fn cached_wildcard(&self, name: &Name, qtype: RType) -> Option<Resolution> {
        if qtype == RType::DS {
            return None; // a DS is the parent's, never a wildcard's
        }
        let now = self.clock.monotonic();
        // The deepest wildcard kept above the name (a shallower one cannot
        // apply where that one's parent exists), with the asked type or a
        // CNAME to follow.
        let wildcard = self.cache.wildcard_above(name, now)?;
        let (records, secure, _) = [qtype, RType::CNAME]
            .into_iter()
            .find_map(|t| self.cache.rrset(&wildcard, t, now))
            .filter(|(_, secure, _)| *secure)?;
        let (proof, _) = self.cache.expansion_proof(name, &wildcard, now, &self.cfg.denial, self.cfg.hash_budget)?;
        let signer = proof.iter().find_map(|rr| match &rr.data {
            RData::Rrsig(s) => Some(&s.signer),
            _ => None,
        });
        if self.configured_below(name, signer) {
            return None;
        }
        let answers = records.into_iter().map(|r| Record { owner: name.clone(), ..r }).collect();
        let mut r = Resolution::cached(Rcode::NOERROR, answers, secure);
        r.authority = proof;
        Some(r)
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

    /// The transport (tests read what a scripted one was asked).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Resolve `qname`/`qtype`: from the cache, or from the root,
    /// validating as it goes (the result is cached with its verdict).
    pub async fn resolve(&self, qname: &Name, qtype: RType) -> Resolution {
        if let Some(now) = self.answer_now(qname, qtype) {
            return now;
        }
        let mut r = self.resolve_uncached(qname, qtype).await;
        self.key_sentinel(qname, qtype, &mut r);
        // A negative trust anchor turns validation off below its zone.
        let now = self.clock.unix();
        let ntas = lock(&self.ntas).clone();
        if let Some(nta) = ntas.negative_for(qname, now)
            && matches!(r.security, Security::Secure | Security::Bogus(_))
        {
            if let Security::Bogus(f) = &r.security {
                let (code, text) = f.ede();
                tracing::warn!(zone = %nta.zone, "negative trust anchor hides a failure of {qname}: EDE {code}: {text}");
            }
            let info = self.cfg.nta_ede.then(|| Failure::new(FailureKind::NegativeTrustAnchor, nta.zone.clone(), now));
            r.security = Security::Insecure(info);
        }
        self.cache.put(qname, qtype, &r, self.clock.monotonic(), self.clock.unix());
        r
    }

    /// RFC 8509: a secure answer for `root-key-sentinel-is-ta-TAG` becomes
    /// SERVFAIL when TAG is not a root trust anchor here, and one for
    /// `root-key-sentinel-not-ta-TAG` when it is, so a client can tell
    /// which root keys its resolver trusts. Only A and AAAA questions are
    /// processed so (RFC 8509 §3.2).
    fn key_sentinel(&self, qname: &Name, qtype: RType, r: &mut Resolution) {
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
        let mut tags: Vec<u16> = Vec::new();
        if let Some(a) = self.cfg.anchors.get(&Name::root()) {
            tags.extend(a.ds.iter().map(|d| d.key_tag));
            tags.extend(a.keys.iter().map(candor_crypto::key_tag));
        }
        if let Some(st) = self.rfc5011_state() {
            tags.extend(st.trusted().iter().map(candor_crypto::key_tag));
        }
        if tags.contains(&tag) != is_ta {
            let f = Failure::new(FailureKind::KeySentinel, Name::root(), self.clock.unix()).rrset(qname, qtype);
            *r = Resolution::servfail(f);
        }
    }

    /// Resolve from the root as [`Resolver::resolve`] does, bypassing the
    /// answer cache, and hand back the chain of trust link by link as it
    /// was walked (for `candor trace`). Nothing is cached.
    pub async fn trace(&self, qname: &Name, qtype: RType) -> (Resolution, Vec<Link>) {
        let mut work = Work { started: self.clock.monotonic(), trace: Some(Vec::new()), ..Work::default() };
        let r = self.resolve_with(qname, qtype, &mut work).await;
        (r, work.trace.unwrap_or_default())
    }

    async fn resolve_uncached(&self, qname: &Name, qtype: RType) -> Resolution {
        let mut work = Work { started: self.clock.monotonic(), ..Work::default() };
        self.resolve_with(qname, qtype, &mut work).await
    }

    async fn resolve_with(&self, qname: &Name, qtype: RType, work: &mut Work) -> Resolution {
        let mut answers = Vec::new();
        // The authority records of earlier links (a wildcard CNAME's proof)
        // travel with the final answer's.
        let mut authority: Vec<Record> = Vec::new();
        let mut name = qname.clone();
        let mut verdicts: Vec<Security> = Vec::new();
        for link in 0..=self.cfg.max_cnames {
            // The question itself was just looked up in the caches (the
            // caller's answer_now); its chain's later names were not.
            let denied = || (link > 0 && work.trace.is_none()).then(|| self.cached_denial(&name, qtype)).flatten();
            let r = match self.cached_link(&name, qtype, link > 0, work).or_else(|| denied().map(|(r, _)| r)) {
                Some(r) => r,
                None => self.resolve_one(&name, qtype, work).await,
            };
            answers.extend(r.answers.iter().cloned());
            // Follow the chain as far as this response takes it; when it
            // ends without the data (the rest lives in another zone, whose
            // records were not taken from this one), ask for the last name.
            let mut target = name.clone();
            let mut seen = vec![name.clone()];
            let mut looped = false;
            for _ in 0..=self.cfg.max_cnames {
                let next = r.answers.iter().find_map(|rr| match &rr.data {
                    RData::Cname(t) if rr.owner == target && qtype != RType::CNAME => Some(t.clone()),
                    _ => None,
                });
                match next {
                    Some(t) if seen.contains(&t) => {
                        looped = true;
                        break;
                    }
                    Some(t) => {
                        seen.push(t.clone());
                        target = t;
                    }
                    None => break,
                }
            }
            if looped {
                break; // a CNAME loop: the chain budget's failure below
            }
            let has_target = r.answers.iter().any(|rr| rr.owner == target && rr.rtype() == qtype);
            verdicts.push(r.security.clone());
            let ends = target == name || has_target || !matches!(r.rcode, Rcode::NOERROR | Rcode::NXDOMAIN);
            // The answer may carry the target zone's own proof that the
            // target does not exist; with that zone's keys already trusted
            // it ends the chain (a validated denial proves the same
            // whichever server delivered it).
            let carried = (!ends && r.rcode == Rcode::NXDOMAIN)
                .then(|| self.carried_nxdomain(&target, qtype, &r.authority, work))
                .flatten();
            if ends || carried.is_some() {
                // A carried proof is secure: the verdicts so far stand.
                authority.extend(carried.unwrap_or_else(|| r.authority.clone()));
                dedup_records(&mut authority);
                // A DNAME used twice along the chain is listed once.
                dedup_records(&mut answers);
                return Resolution { answers, authority, security: combine(verdicts), ..r };
            }
            // Of an earlier link's authority section, its proofs; the
            // zone's NS RRset (non-minimal responses) is the final link's.
            authority.extend(r.authority.iter().filter(|rr| !is_ns_or_sig(rr)).cloned());
            name = target;
        }
        let now = self.clock.unix();
        let mut f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), now);
        f.budget = Some(Box::new(("CNAME chain length", u64::from(self.cfg.max_cnames))));
        Resolution {
            rcode: Rcode::SERVFAIL,
            answers,
            authority: Vec::new(),
            security: Security::Servfail(f),
            from_cache: false,
            additional: Vec::new(),
        }
    }

    /// The proof, in `authority`, that `target` does not exist, signed by
    /// the zone of its SOA there when that zone's keys are already trusted
    /// (a kept secure cut): the SOA and denial records. The denial is kept
    /// as the target's own negative answer (RFC 8020: for every type), as
    /// if its zone had been asked.
    fn carried_nxdomain(
        &self,
        target: &Name,
        qtype: RType,
        authority: &[Record],
        work: &mut Work,
    ) -> Option<Vec<Record>> {
        let zone =
            authority.iter().find(|r| r.rtype() == RType::SOA && target.is_subdomain_of(&r.owner))?.owner.clone();
        let (cut, fresh) = self.cuts.closest(target, self.clock.monotonic())?;
        let keys = trusted(&cut).filter(|_| fresh && cut.zone == zone)?;
        let signed_by_zone = |r: &Record| match &r.data {
            RData::Rrsig(s) => s.signer == zone && matches!(s.type_covered, RType::SOA | RType::NSEC | RType::NSEC3),
            _ => matches!(r.rtype(), RType::SOA | RType::NSEC | RType::NSEC3) && r.owner.is_subdomain_of(&zone),
        };
        let mut records: Vec<Record> = authority.iter().filter(|r| signed_by_zone(r)).cloned().collect();
        let proof =
            self.deny(keys, &records, work, |h, lim, recs| candor_denial::nxdomain(target, &zone, recs, h, lim));
        if !matches!(proof, Ok(p) if !p.is_insecure()) {
            return None;
        }
        cap_soa_ttl(&mut records);
        let negative = Resolution {
            rcode: Rcode::NXDOMAIN,
            answers: Vec::new(),
            authority: records.clone(),
            security: Security::Secure,
            from_cache: false,
            additional: Vec::new(),
        };
        self.cache.put(target, qtype, &negative, self.clock.monotonic(), self.clock.unix());
        Some(records)
    }

    /// A step of a chain the RRset cache can take without asking: the
    /// data itself, a CNAME at the name, or a DNAME above it with the CNAME
    /// it synthesises (RFC 6672 §3.1; YXDOMAIN when the result is too long).
    /// Traces walk the chain afresh.
    fn cached_link(&self, name: &Name, qtype: RType, exact: bool, work: &Work) -> Option<Resolution> {
        if work.trace.is_some() || matches!(qtype, RType::ANY | RType::RRSIG) {
            return None;
        }
        let now = self.clock.monotonic();
        let link = Resolution::cached;
        if exact && let Some((records, secure, _)) = self.cache.rrset(name, qtype, now) {
            return Some(link(Rcode::NOERROR, records, secure));
        }
        // A DS lives on the parent side of a cut: a child's CNAME or DNAME
        // says nothing about it.
        if qtype == RType::DS {
            return None;
        }
        if qtype != RType::CNAME
            && let Some((records, secure, _)) = self.cache.rrset(name, RType::CNAME, now)
        {
            return Some(link(Rcode::NOERROR, records, secure));
        }
        let Some((mut records, secure)) =
            name.ancestors().skip(1).find_map(|a| self.cache.rrset(&a, RType::DNAME, now).map(|(r, s, _)| (r, s)))
        else {
            return self.cached_wildcard(name, qtype);
        };
        let Some(target) = dname_rewrite(&records, name) else {
            return Some(link(Rcode::YXDOMAIN, records, secure));
        };
        let (class, ttl) = records.iter().find(|r| r.rtype() == RType::DNAME).map(|r| (r.class, r.ttl))?;
        records.push(Record { owner: name.clone(), class, ttl, data: RData::Cname(target) });
        Some(link(Rcode::NOERROR, records, secure))
    }

    async fn resolve_one(&self, qname: &Name, qtype: RType, work: &mut Work) -> Resolution {
        let now = self.clock.unix();
        let servfail = Resolution::servfail;
        if let Some(fwd) = self.forward_for(qname) {
            return match self.resolve_forwarded(&fwd, qname, qtype, work).await {
                Ok(r) => r,
                Err(f) => servfail(f),
            };
        }
        // DS lives on the parent side of a cut: start above the name.
        let start = if qtype == RType::DS { qname.parent().unwrap_or_else(Name::root) } else { qname.clone() };
        let stub = self.stub_for(&start);
        let cached = self.closest_cut(&start, work).await;
        // A stub zone's configured servers stand in for its delegation,
        // unless a deeper cut is already known.
        let cached = match (cached, &stub) {
            (Some(c), Some(s)) if c.zone.label_count() < s.zone.label_count() => None,
            (c, _) => c,
        };
        let cached = match (cached, stub) {
            (None, Some(s)) => match self.stub_cut(&s, work).await {
                Ok(c) => Some(c),
                Err(f) => return servfail(f),
            },
            (c, _) => c,
        };
        let mut cut = match cached {
            Some(c) => c,
            None => {
                let root = Name::root();
                let hints = Cut {
                    zone: root.clone(),
                    servers: self.servers(&self.cfg.roots),
                    trust: Trust::Insecure(None),
                    pending: Vec::new(),
                };
                let servers = self.prime(&hints, work).await.unwrap_or(hints.servers);
                let mut cut = Cut { zone: root.clone(), servers, trust: Trust::Insecure(None), pending: Vec::new() };
                let (mut ds, mut keys) =
                    self.cfg.anchors.get(&root).map(|a| (a.ds.clone(), a.keys.clone())).unwrap_or_default();
                let state = self.rfc5011_state();
                if let Some(st) = &state {
                    keys.extend(st.trusted());
                }
                ds.dedup();
                cut.trust = if ds.is_empty() && keys.is_empty() {
                    Trust::Insecure(None)
                } else {
                    match self.zone_keys_msg(&cut, &ds, &keys, work).await {
                        Ok((t, msg)) => {
                            if let (Trust::Secure(_), Some(path)) = (&t, &self.cfg.anchor_state) {
                                self.observe_root_keys(path, state, &msg);
                            }
                            clock_hint(t)
                        }
                        Err(f) => return servfail(f),
                    }
                };
                self.cuts.put(&cut, CUT_TTL, self.clock.monotonic());
                cut
            }
        };
        // QNAME minimisation (RFC 9156, relaxed): ask each cut for one label
        // more than it holds, with type NS, until the whole name is asked;
        // when no server answers a minimised NS question, ask it with type A
        // (RFC 9156 §2.1: some servers mishandle NS), and when that fails
        // too, or on NXDOMAIN for a minimised name, ask the whole name.
        let mut minimise = self.cfg.qname_minimisation;
        let mut minimised_type = RType::NS;
        let mut labels = cut.zone.label_count() + 1;
        let mut steps = 0;
        while steps < self.cfg.max_referrals + 8 {
            steps += 1;
            let full = !minimise || labels >= qname.label_count();
            let (asked, asked_type) =
                if full { (qname.clone(), qtype) } else { (qname.trim_to(labels), minimised_type) };
            let reply = match self.ask(&cut, &asked, asked_type, work).await {
                Ok(r) => r,
                Err(_) if !full && minimised_type == RType::NS => {
                    minimised_type = RType::A;
                    continue;
                }
                Err(_) if !full => {
                    minimise = false;
                    continue;
                }
                Err(f) => return servfail(f),
            };
            // A DS question answered with a referral to that very zone
            // carrying its DS RRset: the DS is the answer (the child
            // cannot give it).
            let reply = match reply {
                Reply::Referral(msg, child)
                    if full && qtype == RType::DS && child == *qname && referral_has_ds(&msg, qname) =>
                {
                    Reply::Answer(ds_from_referral(msg, qname))
                }
                r => r,
            };
            match reply {
                Reply::Referral(msg, child) => {
                    let mut tried: Vec<SocketAddr> = work.last_server.into_iter().collect();
                    let mut next = match self.follow(&cut, &msg, &child, work).await {
                        Ok(next) => next,
                        Err(f) => return servfail(f),
                    };
                    // A referral whose DS (or its proof) is bogus: the parent's
                    // other servers may serve it right.
                    let mut others = cut.clone();
                    while matches!(next.trust, Trust::Bogus(_)) {
                        let Some(other) = self.untried(&mut others, &mut tried, work).await else { break };
                        let Ok(Reply::Referral(m, c)) = self.ask(&other, &asked, asked_type, work).await else {
                            continue;
                        };
                        if c != child {
                            continue;
                        }
                        if let Ok(again) = self.follow(&cut, &m, &c, work).await
                            && !matches!(again.trust, Trust::Bogus(_))
                        {
                            next = again;
                        }
                    }
                    self.cuts.put(&next, referral_ttl(&msg), self.clock.monotonic());
                    cut = next;
                    labels = cut.zone.label_count() + 1;
                }
                Reply::Answer(msg) if full => {
                    self.learn_child_ns(&cut, &msg);
                    let mut tried: Vec<SocketAddr> = work.last_server.into_iter().collect();
                    let chained = msg.answers.iter().any(|r| r.rtype() == RType::CNAME).then(|| msg.clone());
                    let links = work.trace.as_ref().map(Vec::len);
                    let mut r = match self.finish_signed(&cut, qname, qtype, msg, work).await {
                        Ok(r) => r,
                        Err(f) => return servfail(f),
                    };
                    // A chain whose target data does not validate (records a
                    // server added unsigned, or signed wrong): the links
                    // before it stand on their own, and the target is asked
                    // for itself (its own answer is validated in turn).
                    if let (Security::Bogus(f), Some(mut msg)) = (&r.security, chained)
                        && let Some((owner, _)) = &f.rrset
                        && owner != qname
                        && msg.answers.iter().any(|rr| matches!(&rr.data, RData::Cname(t) if t == owner))
                    {
                        let owner = owner.clone();
                        msg.answers.retain(|rr| rr.owner != owner);
                        let first = work.trace.as_ref().map(Vec::len);
                        if let Ok(again) = self.finish_signed(&cut, qname, qtype, msg, work).await
                            && !matches!(again.security, Security::Bogus(_))
                        {
                            r = again;
                            if let (Some(t), Some(from), Some(to)) = (work.trace.as_mut(), links, first) {
                                t.drain(from..to);
                            }
                        } else if let (Some(t), Some(to)) = (work.trace.as_mut(), first) {
                            t.truncate(to);
                        }
                    }
                    // Bogus from one server: the zone's other servers may
                    // serve it right (stale or damaged copies exist).
                    let mut others = cut.clone();
                    while matches!(r.security, Security::Bogus(_)) {
                        let Some(other) = self.untried(&mut others, &mut tried, work).await else { break };
                        let Ok(Reply::Answer(msg)) = self.ask(&other, qname, qtype, work).await else { continue };
                        tried.extend(work.last_server);
                        if let Ok(again) = self.finish_signed(&cut, qname, qtype, msg, work).await
                            && !matches!(again.security, Security::Bogus(_))
                        {
                            r = again;
                        }
                    }
                    return r;
                }
                // NXDOMAIN for a minimised name: the whole subtree is gone
                // (RFC 8020), but only a validated proof that also denies the
                // asked name ends the search; otherwise (a server that says
                // NXDOMAIN for empty non-terminals) the whole name is asked.
                Reply::Answer(msg) if msg.header.rcode == Rcode::NXDOMAIN => {
                    if matches!(cut.trust, Trust::Secure(_)) {
                        let links = work.trace.as_ref().map(Vec::len);
                        let r = self.finish(&cut, qname, qtype, msg, work);
                        if r.rcode == Rcode::NXDOMAIN && matches!(r.security, Security::Secure) {
                            return r;
                        }
                        if let (Some(t), Some(n)) = (work.trace.as_mut(), links) {
                            t.truncate(n);
                        }
                    }
                    minimise = false;
                }
                // The NS RRset of the minimised name itself, answered with
                // authority: a zone cut whose child is served by the same
                // servers. Its chain of trust starts there (its DS, or the
                // parent's proof that there is none).
                Reply::Answer(msg)
                    if msg.header.flags.aa
                        && asked != cut.zone
                        && msg.answers.iter().any(|r| r.owner == asked && r.rtype() == RType::NS) =>
                {
                    match self.signer_cut(&cut, &asked, work).await {
                        Ok(next) => {
                            cut = next;
                            labels = cut.zone.label_count() + 1;
                        }
                        Err(_) => labels += 1,
                    }
                }
                // The name exists in this zone (or is an empty non-terminal): one label more.
                Reply::Answer(_) => labels += 1,
            }
        }
        let mut f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), now);
        f.budget = Some(Box::new(("referral depth", u64::from(self.cfg.max_referrals))));
        servfail(f)
    }

    /// The deepest kept cut at or above `name` whose trust is current, or
    /// made current again: a cut whose (bogus) verdict ran out keeps its
    /// servers, and its trust is established anew from the closest cut
    /// above it (the parent's DS, or an anchor), as a referral's would be.
    async fn closest_cut(&self, name: &Name, work: &mut Work) -> Option<Cut> {
        let now = self.clock.monotonic();
        let mut from = name.clone();
        loop {
            let (cut, fresh) = self.cuts.closest(&from, now)?;
            if fresh {
                return Some(cut);
            }
            let parent = cut.zone.parent()?;
            let trust = if let Some(anchor) = self.cfg.anchors.get(&cut.zone).cloned() {
                Some(self.zone_keys(&cut, &anchor.ds, &anchor.keys, work).await.unwrap_or_else(Trust::Bogus))
            } else {
                match self.cuts.closest(&parent, now) {
                    Some((above, true)) => match &above.trust {
                        // The DS RRset a referral gave, when still kept; else asked for.
                        Trust::Secure(keys) => match self.cache.rrset(&cut.zone, RType::DS, now) {
                            Some((records, true, _)) => {
                                let ds_set: Vec<Record> =
                                    records.iter().filter(|r| r.rtype() == RType::DS).cloned().collect();
                                Some(self.trust_via_ds(keys, &cut, &ds_set, &records, work).await)
                            }
                            _ => self.trust_by_ds_query(&above, &cut, work).await.ok(),
                        },
                        t => Some(t.clone()),
                    },
                    _ => None,
                }
            };
            match trust {
                Some(trust) => {
                    self.cuts.retrust(&cut.zone, &trust, now);
                    return Some(Cut { trust, ..cut });
                }
                // Not established here: start from a cut above it.
                None => from = parent,
            }
        }
    }

    /// An authoritative answer that names the zone's NS RRset: name
    /// servers the parent's referral did not list are kept with the cut,
    /// to be looked up when the known ones fail (the child's word on its
    /// servers outranks the parent's, RFC 2181 §5.4.1).
    fn learn_child_ns(&self, cut: &Cut, msg: &Message) {
        if !msg.header.flags.aa {
            return;
        }
        let extra: Vec<Name> = msg
            .authority
            .iter()
            .filter_map(|r| match &r.data {
                RData::Ns(n) if r.owner == cut.zone && !cut.pending.contains(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if extra.is_empty() {
            return;
        }
        self.cuts.add_pending(&cut.zone, extra, self.clock.monotonic());
    }

    /// The deepest stub zone containing `name`.
    fn stub_for(&self, name: &Name) -> Option<Forward> {
        self.cfg.stubs.iter().filter(|f| name.is_subdomain_of(&f.zone)).max_by_key(|f| f.zone.label_count()).cloned()
    }

    /// The cut of a stub zone: its configured servers, and the trust its
    /// parent gives it (the DS set, or the proof there is none, found by
    /// ordinary resolution).
    fn stub_cut<'a>(
        &'a self,
        stub: &'a Forward,
        work: &'a mut Work,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Cut, Failure>> + Send + 'a>> {
        Box::pin(async move {
            let now = self.clock.unix();
            let mut cut = Cut {
                zone: stub.zone.clone(),
                servers: stub.servers.clone(),
                trust: Trust::Insecure(None),
                pending: Vec::new(),
            };
            // An anchor for the stub zone starts the chain there; with no
            // anchor at or above it there is no chain to continue (no DS query).
            let anchor = self.cfg.anchors.get(&stub.zone).cloned();
            cut.trust = if let Some(a) = anchor {
                self.zone_keys(&cut, &a.ds, &a.keys, work).await?
            } else if stub.zone.is_root() || self.cfg.anchors.closest(&stub.zone).is_none() {
                Trust::Insecure(None)
            } else {
                let r = self.resolve_one(&stub.zone, RType::DS, work).await;
                let ds: Vec<Ds> = r
                    .answers
                    .iter()
                    .filter_map(|rr| match &rr.data {
                        RData::Ds(d) if rr.owner == stub.zone => Some(d.clone()),
                        _ => None,
                    })
                    .collect();
                match r.security {
                    Security::Secure if !ds.is_empty() => self.zone_keys(&cut, &ds, &[], work).await?,
                    Security::Secure | Security::Insecure(_) => Trust::Insecure(None),
                    Security::Bogus(f) => Trust::Bogus(f),
                    Security::Servfail(_) => {
                        Trust::Bogus(Failure::new(FailureKind::DnskeyMissing, stub.zone.clone(), now))
                    }
                }
            };
            self.cuts.put(&cut, CUT_TTL, self.clock.monotonic());
            Ok(cut)
        })
    }

    /// The deepest forward zone containing `name`.
    fn forward_for(&self, name: &Name) -> Option<Forward> {
        self.cfg.forwards.iter().filter(|f| name.is_subdomain_of(&f.zone)).max_by_key(|f| f.zone.label_count()).cloned()
    }

    /// Ask upstream resolvers (RD, CD and DO set): any NOERROR or NXDOMAIN
    /// response will do; each server is tried in turn.
    async fn ask_upstream(
        &self,
        fwd: &Forward,
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Message, Failure> {
        let now = self.clock.unix();
        let mut q = Message::query(0, Question::new(qname.clone(), qtype));
        q.header.flags.rd = true;
        q.header.flags.cd = true;
        q.edns = Some(Edns { udp_size: 1232, dnssec_ok: true, ..Edns::default() });
        let wire = q.to_wire().map_err(|_| Failure::new(FailureKind::ResolutionBudget, qname.clone(), now))?;
        let mut server_error = false;
        for server in &fwd.servers {
            let mut proto = Protocol::Udp;
            for _ in 0..2 {
                if work.queries >= self.cfg.max_queries {
                    let mut f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), now);
                    f.budget = Some(Box::new(("upstream queries", u64::from(self.cfg.max_queries))));
                    return Err(f);
                }
                work.queries += 1;
                let Ok(bytes) = self.transport.query(*server, proto, &wire, self.cfg.timeout).await else { break };
                let Some(mut msg) = scrubbed(&bytes, *server, work) else { break };
                // Only class IN data is about the question (a referral mixing
                // in CHAOS records must not lend them its servers).
                for section in [&mut msg.answers, &mut msg.authority, &mut msg.additional] {
                    section.retain(|r| r.class == candor_wire::Class::IN);
                }
                if msg.header.flags.tc && proto == Protocol::Udp {
                    proto = Protocol::Tcp;
                    continue;
                }
                // Truncated over TCP: a broken server, nothing to take.
                if msg.header.flags.tc {
                    break;
                }
                if matches!(msg.header.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) {
                    return Ok(msg);
                }
                server_error |= is_server_error(msg.header.rcode);
                break;
            }
        }
        Err(Failure::new(unanswered(server_error), fwd.zone.clone(), now))
    }

    /// [`Self::blame_upstream`] for a bogus trust.
    fn blame(&self, t: Trust, fwd: &Forward) -> Trust {
        match t {
            Trust::Bogus(f) => Trust::Bogus(self.blame_upstream(f, fwd)),
            t => t,
        }
    }

    /// Mark a missing-signature failure as the upstream's doing.
    fn blame_upstream(&self, mut f: Failure, fwd: &Forward) -> Failure {
        if f.kind == FailureKind::RrsigsMissing {
            f.upstream = fwd.servers.first().copied().map(Box::new);
        }
        f
    }

    /// Walk the chain of trust from the root down to the zone that holds
    /// `target`, asking the upstream for each DS and DNSKEY set: the
    /// classic validation of a forwarded answer.
    async fn chain_via(&self, fwd: &Forward, target: &Name, work: &mut Work) -> Result<(Name, Trust), Failure> {
        let now = self.clock.unix();
        let root = Name::root();
        let anchor = self.cfg.anchors.get(&root).cloned();
        let Some(anchor) = anchor else { return Ok((root, Trust::Insecure(None))) };
        let mut zone = root.clone();
        let msg = self.ask_upstream(fwd, &root, RType::DNSKEY, work).await?;
        let mut trust = self.blame(self.trust_from(&root, &anchor.ds, &anchor.keys, &msg, work), fwd);
        let depth = target.label_count();
        for n in 1..=depth {
            let Trust::Secure(keys) = &trust else { break };
            let name = target.trim_to(n);
            let msg = self.ask_upstream(fwd, &name, RType::DS, work).await?;
            let ds_set: Vec<Record> =
                msg.answers.iter().filter(|r| r.owner == name && r.rtype() == RType::DS).cloned().collect();
            if !ds_set.is_empty() {
                let sigs = rrsigs_for(&msg.answers, &name, RType::DS);
                let verified = self.cfg.validator.verify_rrset(&ds_set, &sigs, keys, now, &mut work.spent);
                work.record(|| Link::Ds {
                    parent: keys.zone.clone(),
                    child: name.clone(),
                    ds: ds_of(&ds_set),
                    rrsigs: sigs_of(&msg.answers, &name, RType::DS),
                    state: verified.as_ref().err().map_or(LinkState::Ok, |f| LinkState::Broken(f.clone())),
                });
                if let Err(f) = verified {
                    return Ok((zone, Trust::Bogus(self.blame_upstream(f, fwd))));
                }
                let ds = ds_of(&ds_set);
                let kmsg = self.ask_upstream(fwd, &name, RType::DNSKEY, work).await?;
                zone = name.clone();
                trust = self.blame(self.trust_from(&name, &ds, &[], &kmsg, work), fwd);
                continue;
            }
            // No DS: the zone above must prove it, signed.
            let has_proof = msg.authority.iter().any(|r| r.rtype() == RType::RRSIG);
            if !has_proof {
                let f = Failure::new(FailureKind::RrsigsMissing, keys.zone.clone(), now).rrset(&name, RType::DS);
                return Ok((zone, Trust::Bogus(self.blame_upstream(f, fwd))));
            }
            if msg.header.rcode == Rcode::NXDOMAIN {
                break; // nothing exists below: the answer's proof will show it
            }
            let insecure = self
                .deny(keys, &msg.authority, work, |h, lim, recs| candor_denial::no_ds(&name, &keys.zone, recs, h, lim));
            if let Ok(p @ (Proof::NoDs | Proof::OptOut)) = &insecure {
                let opt_out = matches!(p, Proof::OptOut);
                work.record(|| Link::NoDs {
                    parent: keys.zone.clone(),
                    child: name.clone(),
                    opt_out,
                    state: LinkState::Insecure(None),
                });
            }
            match insecure {
                Ok(Proof::NoDs | Proof::OptOut) => {
                    zone = name.clone();
                    trust = Trust::Insecure(None);
                }
                Ok(Proof::Insecure(i)) => {
                    zone = name.clone();
                    trust = Trust::Insecure(Some(insecure_failure(&i, &keys.zone, now)));
                }
                _ => {
                    // Not a delegation: the name must be a proven non-cut.
                    let proof = self.deny(keys, &msg.authority, work, |h, lim, recs| {
                        candor_denial::nodata(&name, RType::DS, &keys.zone, recs, h, lim)
                    });
                    if let Err(f) = proof {
                        return Ok((zone, Trust::Bogus(f)));
                    }
                }
            }
        }
        Ok((zone, trust))
    }

    /// Resolve through upstream resolvers and validate here.
    async fn resolve_forwarded(
        &self,
        fwd: &Forward,
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Resolution, Failure> {
        let msg = self.ask_upstream(fwd, qname, qtype, work).await?;
        // The zone that signed the answer (or its denial); unsigned: the name's own.
        let signer = msg.answers.iter().chain(&msg.authority).find_map(|r| match &r.data {
            RData::Rrsig(s) => Some(s.signer.clone()),
            _ => None,
        });
        let target = signer.clone().unwrap_or_else(|| qname.clone());
        let (zone, trust) = self.chain_via(fwd, &target, work).await?;
        let cut = Cut { zone, servers: Vec::new(), trust, pending: Vec::new() };
        let mut r = self.finish(&cut, qname, qtype, msg, work);
        if let Security::Bogus(f) = &mut r.security {
            *f = self.blame_upstream(f.clone(), fwd);
        }
        Ok(r)
    }

    /// Root priming (RFC 8109): ask the hinted servers for the root's NS
    /// RRset and use the addresses that come with it; the hints stay the
    /// fallback when priming fails.
    async fn prime(&self, hints: &Cut, work: &mut Work) -> Option<Vec<SocketAddr>> {
        if !self.cfg.priming {
            return None;
        }
        let Ok(Reply::Answer(msg)) = self.ask(hints, &Name::root(), RType::NS, work).await else { return None };
        let names: Vec<&Name> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Ns(n) if r.owner.is_root() => Some(n),
                _ => None,
            })
            .collect();
        let addrs: Vec<IpAddr> = msg
            .additional
            .iter()
            .filter(|r| names.contains(&&r.owner))
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(IpAddr::V4(*a)),
                RData::Aaaa(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
            .collect();
        let servers = self.servers(&addrs);
        (!servers.is_empty()).then_some(servers)
    }

    /// The addresses of a name server, resolved from the root (its
    /// security does not matter: the data it serves is validated).
    fn ns_addresses<'a>(
        &'a self,
        name: &'a Name,
        work: &'a mut Work,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<IpAddr>> + Send + 'a>> {
        Box::pin(async move {
            // The name's validated addresses in the cache, else glue a
            // referral gave for it, else its own zone's answer.
            let now = self.clock.monotonic();
            let known = self.cache.rrset(name, RType::A, now).map(|(records, _, _)| records);
            let mut found: Vec<IpAddr> = match (known, self.glue.get(name, now)) {
                (Some(records), _) => records
                    .iter()
                    .filter_map(|rr| match &rr.data {
                        RData::A(a) => Some(IpAddr::V4(*a)),
                        _ => None,
                    })
                    .collect(),
                (None, Some(glue)) => glue,
                (None, None) => {
                    work.depth += 1;
                    let r = self.resolve_one(name, RType::A, work).await;
                    work.depth -= 1;
                    r.answers
                        .iter()
                        .filter_map(|rr| match &rr.data {
                            RData::A(a) => Some(IpAddr::V4(*a)),
                            _ => None,
                        })
                        .collect()
                }
            };
            // The parent side's glue for the name comes after the child
            // side's answer, for when that is lame, dead or missing (as
            // Unbound does). What any of them says is validated all the same.
            for (_, a) in work.glue.iter().filter(|(n, _)| n == name) {
                if !found.contains(a) {
                    found.push(*a);
                }
            }
            found
        })
    }

    fn servers(&self, addrs: &[IpAddr]) -> Vec<SocketAddr> {
        addrs.iter().filter(|a| self.cfg.outbound.permits(**a)).map(|a| SocketAddr::new(*a, self.cfg.port)).collect()
    }

    /// Ask the cut's servers in turn until one gives a usable response:
    /// an authoritative answer or a referral below the cut. Lame, refusing,
    /// silent and non-authoritative servers are skipped; TC goes to TCP.
    ///
    /// When none of the known servers gives one, the name servers whose
    /// addresses were not looked up (no glue) are looked up and asked in
    /// turn: the only working server may be one without glue.
    async fn ask(&self, cut: &Cut, qname: &Name, qtype: RType, work: &mut Work) -> Result<Reply, Failure> {
        let first = self.ask_servers(&cut.zone, &cut.servers, qname, qtype, work).await;
        let retry = match &first {
            Err(f) => f.kind.is_unanswered(),
            Ok(Reply::Answer(m)) => is_weak(m),
            Ok(Reply::Referral(..)) => false,
        };
        if !retry || work.depth >= MAX_NS_DEPTH {
            return first;
        }
        let mut best = first;
        let mut tried: Vec<SocketAddr> = cut.servers.clone();
        for name in cut.pending.iter().take(MAX_NS_LOOKUPS) {
            let addrs = self.ns_addresses(name, work).await;
            let fresh: Vec<SocketAddr> = self.servers(&addrs).into_iter().filter(|s| !tried.contains(s)).collect();
            if fresh.is_empty() {
                continue;
            }
            tried.extend(fresh.iter().copied());
            match self.ask_servers(&cut.zone, &fresh, qname, qtype, work).await {
                Ok(Reply::Answer(m)) if is_weak(&m) => {
                    if best.is_err() {
                        best = Ok(Reply::Answer(m));
                    }
                }
                Ok(reply) => return Ok(reply),
                Err(f) if f.kind.is_unanswered() => {
                    if let Err(failure) = &mut best {
                        // A server that answered with an error is the
                        // better evidence than one that did not answer.
                        if f.kind == FailureKind::AuthorityError {
                            failure.kind = f.kind;
                        }
                        if let Some(a) = f.answered {
                            failure.answered = Some(a);
                        }
                    }
                }
                Err(f) => return Err(f),
            }
        }
        best
    }

    /// [`Self::ask`] of the given servers of `zone` only.
    async fn ask_servers(
        &self,
        zone: &Name,
        servers: &[SocketAddr],
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Reply, Failure> {
        let now = self.clock.unix();
        let mut q = Message::query(0, Question::new(qname.clone(), qtype));
        q.header.flags.rd = false;
        q.header.flags.cd = true;
        q.edns = Some(Edns { udp_size: 1232, dnssec_ok: true, ..Edns::default() });
        let encode =
            |q: &Message| q.to_wire().map_err(|_| Failure::new(FailureKind::ResolutionBudget, qname.clone(), now));
        let with_edns = encode(&q)?;
        q.edns = None;
        let without_edns = encode(&q)?;
        let mut answered = None;
        let mut server_error = false;
        let mut weak = None;
        for server in &self.stats.order(servers, self.clock.monotonic()) {
            let mut proto = Protocol::Udp;
            let mut wire = &with_edns;
            for _ in 0..3 {
                if work.queries >= self.cfg.max_queries {
                    let mut f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), now);
                    f.budget = Some(Box::new(("upstream queries", u64::from(self.cfg.max_queries))));
                    return Err(f);
                }
                if self.clock.monotonic().saturating_sub(work.started) >= self.cfg.max_time {
                    let mut f = Failure::new(FailureKind::ResolutionBudget, qname.clone(), now);
                    f.budget = Some(Box::new(("time per resolution (s)", self.cfg.max_time.as_secs())));
                    return Err(f);
                }
                work.queries += 1;
                let sent = self.clock.monotonic();
                let bytes = match self.transport.query(*server, proto, wire, self.cfg.timeout).await {
                    Ok(b) => b,
                    Err(TransportError::Timeout(_)) => {
                        self.stats.timed_out(*server, self.cfg.timeout);
                        break;
                    }
                    Err(TransportError::Unreachable { kind, .. }) => {
                        if server.is_ipv6() && kind == std::io::ErrorKind::NetworkUnreachable {
                            self.stats.v6_unreachable(self.clock.monotonic());
                        }
                        break;
                    }
                    Err(_) => break,
                };
                self.stats.answered(*server, self.clock.monotonic().saturating_sub(sent));
                let Some(mut msg) = scrubbed(&bytes, *server, work) else { break };
                // Only class IN data is about the question (a referral mixing
                // in CHAOS records must not lend them its servers).
                for section in [&mut msg.answers, &mut msg.authority, &mut msg.additional] {
                    section.retain(|r| r.class == candor_wire::Class::IN);
                }
                if msg.header.flags.tc && proto == Protocol::Udp {
                    proto = Protocol::Tcp;
                    continue;
                }
                // Truncated over TCP: a broken server, nothing to take.
                if msg.header.flags.tc {
                    break;
                }
                // A server that rejects EDNS is asked again without it (its
                // answers then carry no DNSSEC records: validation decides).
                let rejects_edns = matches!(msg.header.rcode, Rcode::FORMERR | Rcode::NOTIMP) && msg.edns.is_none();
                if rejects_edns && std::ptr::eq(wire, &with_edns) {
                    wire = &without_edns;
                    continue;
                }
                match classify(&msg, zone, qname) {
                    Some(Kind::Answer) if is_weak(&msg) => {
                        if weak.is_none() {
                            weak = Some((*server, msg));
                        }
                        break;
                    }
                    Some(Kind::Answer) => {
                        work.last_server = Some(*server);
                        return Ok(Reply::Answer(msg));
                    }
                    Some(Kind::Referral(child)) => {
                        work.last_server = Some(*server);
                        return Ok(Reply::Referral(msg, child));
                    }
                    None => {
                        if msg.header.rcode != Rcode::NOERROR {
                            answered = Some(Box::new((*server, msg.header.rcode)));
                        }
                        server_error |= is_server_error(msg.header.rcode);
                        if is_empty(&msg) && weak.is_none() {
                            weak = Some((*server, msg));
                        }
                        break;
                    }
                }
            }
        }
        if let Some((server, msg)) = weak {
            work.last_server = Some(server);
            return Ok(Reply::Answer(msg));
        }
        let mut f = Failure::new(unanswered(server_error), zone.clone(), now);
        f.answered = answered;
        Err(f)
    }

    /// Take a referral: the child's servers from in-bailiwick glue, and its
    /// trust from the parent's DS (or the parent's proof that there is none).
    async fn follow(&self, cut: &Cut, msg: &Message, child: &Name, work: &mut Work) -> Result<Cut, Failure> {
        let now = self.clock.unix();
        let ns: Vec<&Name> = msg
            .authority
            .iter()
            .filter_map(|r| match &r.data {
                RData::Ns(n) if r.owner == *child => Some(n),
                _ => None,
            })
            .collect();
        let (glue, unverified): (Vec<Glue>, Vec<Glue>) = msg
            .additional
            .iter()
            .filter(|r| ns.contains(&&r.owner) && (r.owner.is_subdomain_of(&cut.zone) || !self.cfg.harden_glue))
            .filter_map(|r| match &r.data {
                RData::A(a) => Some((r.owner.clone(), IpAddr::V4(*a))),
                RData::Aaaa(a) => Some((r.owner.clone(), IpAddr::V6(*a))),
                _ => None,
            })
            .partition(|(n, _)| !self.cfg.harden_unverified_glue || n.is_subdomain_of(child));
        work.glue.extend(glue.iter().take(MAX_GLUE_KEPT.saturating_sub(work.glue.len())).cloned());
        let usable: Vec<(Name, IpAddr)> = glue.iter().filter(|(_, a)| self.cfg.outbound.permits(*a)).cloned().collect();
        // Kept as long as the glue records and the referral say.
        let glue_ttl = msg.additional.iter().filter(|r| ns.contains(&&r.owner)).map(|r| r.ttl).min().unwrap_or(0);
        let keep = referral_ttl(msg).min(Duration::from_secs(u64::from(glue_ttl)));
        self.glue.put(&usable, self.clock.monotonic() + keep);
        // Names with an address this resolver may use.
        let glued: Vec<Name> =
            glue.iter().filter(|(_, a)| self.cfg.outbound.permits(*a)).map(|(n, _)| n.clone()).collect();
        let glue: Vec<IpAddr> = glue.into_iter().map(|(_, a)| a).collect();
        let mut servers = self.servers(&glue);
        // Name servers without glue (not those inside the child itself,
        // which only the child could tell): looked up now when nothing
        // else is usable, else kept for when the others fail us.
        let mut pending: Vec<Name> = ns
            .iter()
            .filter(|n| !n.is_subdomain_of(child) && !glued.contains(n))
            .take(MAX_NS_LOOKUPS)
            .map(|n| (*n).clone())
            .collect();
        if servers.is_empty() && work.depth < MAX_NS_DEPTH {
            while let Some(name) = (!pending.is_empty()).then(|| pending.remove(0)) {
                let addrs = self.ns_addresses(&name, work).await;
                servers.extend(self.servers(&addrs));
                if !servers.is_empty() {
                    break;
                }
            }
        }
        if servers.is_empty() {
            let addrs: Vec<IpAddr> = unverified.iter().map(|(_, a)| *a).collect();
            servers = self.servers(&addrs);
        }
        let mut next = Cut { zone: child.clone(), servers, trust: Trust::Insecure(None), pending };
        if next.servers.is_empty() {
            let mut f = Failure::new(FailureKind::NoReachableAuthority, child.clone(), now);
            f.refused = glue.iter().copied().filter(|a| !self.cfg.outbound.permits(*a)).collect::<Vec<_>>().into();
            return Err(f);
        }
        // A trust anchor configured for the child (an island of trust)
        // starts the chain there, whatever the parent says.
        if let Some(anchor) = self.cfg.anchors.get(child).cloned() {
            next.trust = self.zone_keys(&next, &anchor.ds, &anchor.keys, work).await.unwrap_or_else(Trust::Bogus);
            return Ok(next);
        }
        next.trust = match &cut.trust {
            Trust::Bogus(f) => Trust::Bogus(f.clone()),
            Trust::Insecure(f) => Trust::Insecure(f.clone()),
            Trust::Secure(keys) => {
                let ds_set: Vec<Record> =
                    msg.authority.iter().filter(|r| r.owner == *child && r.rtype() == RType::DS).cloned().collect();
                if ds_set.is_empty() {
                    let proof = self.deny(keys, &msg.authority, work, |h, lim, recs| {
                        candor_denial::no_ds(child, &keys.zone, recs, h, lim)
                    });
                    let opt_out = matches!(proof, Ok(Proof::OptOut));
                    if matches!(proof, Ok(Proof::NoDs)) {
                        self.cache.learn_nsecs(&keys.zone, &msg.authority, self.clock.monotonic(), now);
                    }
                    let t = match proof {
                        Ok(Proof::NoDs | Proof::OptOut) => Trust::Insecure(None),
                        Ok(Proof::Insecure(i)) => Trust::Insecure(Some(insecure_failure(&i, &cut.zone, now))),
                        // A referral without DS and without a proof: ask
                        // the parent for the DS itself before calling it bogus.
                        Ok(_) | Err(_) => match self.trust_by_ds_query(cut, &next, work).await {
                            Ok(t) => return Ok(Cut { trust: t, ..next }),
                            Err(f) => Trust::Bogus(f),
                        },
                    };
                    work.record(|| Link::NoDs {
                        parent: keys.zone.clone(),
                        child: child.clone(),
                        opt_out,
                        state: link_state(&t),
                    });
                    t
                } else {
                    self.trust_via_ds(keys, &next, &ds_set, &msg.authority, work).await
                }
            }
        };
        Ok(next)
    }

    /// The cut narrowed to servers not yet tried, looking up a pending name
    /// server when the known ones are used up; `None` when nothing is left
    /// (or the retry budget is spent).
    async fn untried(&self, cut: &mut Cut, tried: &mut Vec<SocketAddr>, work: &mut Work) -> Option<Cut> {
        while tried.len() < MAX_BOGUS_RETRIES {
            if let Some(next) = cut.servers.iter().find(|s| !tried.contains(s)).copied() {
                // Marked as tried whatever it answers, so the loop ends.
                tried.push(next);
                return Some(Cut { servers: vec![next], ..cut.clone() });
            }
            if work.depth >= MAX_NS_DEPTH || cut.pending.is_empty() {
                return None;
            }
            let name = cut.pending.remove(0);
            let addrs = self.ns_addresses(&name, work).await;
            cut.servers.extend(self.servers(&addrs));
        }
        None
    }

    /// [`Self::finish`], after taking the chain down to the answer's signer
    /// when one server serves parent and child and the answer is signed by
    /// a zone below the cut.
    async fn finish_signed(
        &self,
        cut: &Cut,
        qname: &Name,
        qtype: RType,
        msg: Message,
        work: &mut Work,
    ) -> Result<Resolution, Failure> {
        // A trust anchor between an insecure cut and the name (an island
        // served by the same server) governs the answer even when nothing
        // in it is signed: stripped signatures must not pass as an unsigned
        // zone. (Below a secure cut, unsigned data is bogus anyway; a denial
        // from the parent's server is the parent's, as Unbound takes it.)
        let anchored = self
            .cfg
            .anchors
            .closest(qname)
            .map(|(z, _)| z.clone())
            .filter(|z| *z != cut.zone && z.is_subdomain_of(&cut.zone))
            .filter(|z| {
                let apex_ds = qtype == RType::DS && z == qname;
                let secure_cut = matches!(cut.trust, Trust::Secure(_));
                !secure_cut && !msg.answers.is_empty() && !apex_ds
            });
        let below = match (signer_below(&cut.zone, qname, &msg), anchored) {
            (Some(s), Some(a)) => Some(if a.label_count() > s.label_count() { a } else { s }),
            (s, a) => s.or(a),
        };
        let cut = match below {
            Some(zone) => self.signer_cut(cut, &zone, work).await?,
            None => cut.clone(),
        };
        Ok(self.finish(&cut, qname, qtype, msg, work))
    }

    /// The cut of `signer`, a zone below `cut` served by the same servers:
    /// its DS from them (or the proof there is none), then its keys.
    /// When the DS answer itself is signed by a zone between the two (a
    /// third zone on the same servers), that zone's cut is made first.
    async fn signer_cut(&self, cut: &Cut, signer: &Name, work: &mut Work) -> Result<Cut, Failure> {
        let mut parent = cut.clone();
        let mut target = signer.clone();
        for _ in 0..=signer.label_count() {
            let mut next = Cut {
                zone: target.clone(),
                servers: parent.servers.clone(),
                trust: parent.trust.clone(),
                pending: parent.pending.clone(),
            };
            // A trust anchor for the zone (an island of trust) starts the
            // chain there, whatever the parent says, as in a referral.
            if let Some(anchor) = self.cfg.anchors.get(&target).cloned() {
                next.trust = self.zone_keys(&next, &anchor.ds, &anchor.keys, work).await.unwrap_or_else(Trust::Bogus);
            } else if matches!(parent.trust, Trust::Secure(_)) {
                match self.ds_query(&parent, &next, true, work).await? {
                    DsAnswer::Trust(t) => next.trust = t,
                    DsAnswer::SignedBelow(mid) => {
                        target = mid;
                        continue;
                    }
                }
            }
            self.cuts.put(&next, CUT_TTL, self.clock.monotonic());
            if next.zone == *signer {
                return Ok(next);
            }
            parent = next;
            target = signer.clone();
        }
        Err(Failure::new(FailureKind::NoReachableAuthority, signer.clone(), self.clock.unix()))
    }

    /// The trust of `child` found by asking the parent's servers (`parent`,
    /// secure) for its DS: the DS RRset, or the parent's signed proof that
    /// there is none.
    async fn trust_by_ds_query(&self, parent: &Cut, child: &Cut, work: &mut Work) -> Result<Trust, Failure> {
        match self.ds_query(parent, child, false, work).await? {
            DsAnswer::Trust(t) => Ok(t),
            DsAnswer::SignedBelow(_) => Ok(parent.trust.clone()),
        }
    }

    /// [`Self::trust_by_ds_query`]; with `descend`, an answer signed by a
    /// zone strictly between parent and child is reported as such instead
    /// of being checked with the parent's keys.
    async fn ds_query(&self, parent: &Cut, child: &Cut, descend: bool, work: &mut Work) -> Result<DsAnswer, Failure> {
        let now = self.clock.unix();
        let Trust::Secure(keys) = &parent.trust else { return Ok(DsAnswer::Trust(parent.trust.clone())) };
        let zone = &child.zone;
        let t = match self.ask(parent, zone, RType::DS, work).await {
            // No server answers: a verified denial an earlier answer of
            // the parent carried may still prove the DS absent.
            Err(f) => self.ds_from_proofs(keys, zone, work).ok_or(f)?,
            Ok(reply) => {
                let msg = match reply {
                    Reply::Answer(m) => m,
                    Reply::Referral(m, c) if c == *zone && referral_has_ds(&m, zone) => ds_from_referral(m, zone),
                    Reply::Referral(..) => {
                        return Err(Failure::new(FailureKind::NoReachableAuthority, zone.clone(), now));
                    }
                };
                if descend && let Some(mid) = signer_below(&parent.zone, zone, &msg).filter(|m| m != zone) {
                    return Ok(DsAnswer::SignedBelow(mid));
                }
                let ds_set: Vec<Record> =
                    msg.answers.iter().filter(|r| r.owner == *zone && r.rtype() == RType::DS).cloned().collect();
                if !ds_set.is_empty() {
                    return Ok(DsAnswer::Trust(self.trust_via_ds(keys, child, &ds_set, &msg.answers, work).await));
                }
                self.no_ds_trust(keys, &msg.authority, zone, work)
            }
        };
        work.record(|| Link::NoDs {
            parent: keys.zone.clone(),
            child: zone.clone(),
            opt_out: false,
            state: link_state(&t),
        });
        Ok(DsAnswer::Trust(t))
    }

    /// What `section` (signed by the parent, `keys`) says of `child`'s DS:
    /// proven absent (insecure, with the reason when the proof is an
    /// insecure one), or bogus.
    fn no_ds_trust(&self, keys: &TrustedKeys, section: &[Record], child: &Name, work: &mut Work) -> Trust {
        let proof = self.deny(keys, section, work, |h, lim, recs| {
            candor_denial::nodata(child, RType::DS, &keys.zone, recs, h, lim)
        });
        match proof {
            Ok(Proof::Insecure(i)) => Trust::Insecure(Some(insecure_failure(&i, &keys.zone, self.clock.unix()))),
            Ok(_) => Trust::Insecure(None),
            Err(f) => Trust::Bogus(f),
        }
    }

    /// The trust of `child` from the denial records kept from the parent's
    /// secure answers ([`Cache::proofs`]), when one group proves that
    /// it has no DS.
    fn ds_from_proofs(&self, keys: &TrustedKeys, child: &Name, work: &mut Work) -> Option<Trust> {
        self.cache.proofs(&keys.zone, self.clock.monotonic()).into_iter().find_map(|group| {
            match self.no_ds_trust(keys, &group, child, work) {
                Trust::Bogus(_) => None,
                t => Some(t),
            }
        })
    }

    /// The NSEC/NSEC3 RRsets of a secure positive answer's authority
    /// section that verify with the zone's keys, kept for later DS
    /// questions ([`Cache::proofs`]).
    fn keep_proofs(&self, keys: &TrustedKeys, authority: &[Record], work: &mut Work) {
        let now = self.clock.unix();
        let mut kept = Vec::new();
        for (owner, rtype) in
            rrset_keys(authority).into_iter().filter(|(_, t)| matches!(*t, RType::NSEC | RType::NSEC3))
        {
            kept.extend(self.verified_rrset(Some(keys), authority, &owner, rtype, work).unwrap_or_default());
        }
        self.cache.learn_proofs(&keys.zone, kept, self.clock.monotonic(), now);
    }

    /// The child's trust from its DS RRset in `section` (a referral's
    /// authority or a DS answer): verified with the parent's keys, then
    /// the child's DNSKEY RRset checked against it.
    async fn trust_via_ds(
        &self,
        parent: &TrustedKeys,
        child: &Cut,
        ds_set: &[Record],
        section: &[Record],
        work: &mut Work,
    ) -> Trust {
        let now = self.clock.unix();
        let sigs = rrsigs_for(section, &child.zone, RType::DS);
        let verified = self.cfg.validator.verify_rrset(ds_set, &sigs, parent, now, &mut work.spent);
        work.record(|| Link::Ds {
            parent: parent.zone.clone(),
            child: child.zone.clone(),
            ds: ds_of(ds_set),
            rrsigs: sigs_of(section, &child.zone, RType::DS),
            state: verified.as_ref().err().map_or(LinkState::Ok, |f| LinkState::Broken(f.clone())),
        });
        match verified {
            Err(f) => Trust::Bogus(f),
            Ok(()) => {
                // Kept for a DS question the chain of a later answer leads to.
                let records = rrset_with_sigs(section, &child.zone, RType::DS);
                self.cache.keep_rrset(&records, true, self.clock.monotonic(), now);
                self.zone_keys(child, &ds_of(ds_set), &[], work).await.unwrap_or_else(Trust::Bogus)
            }
        }
    }

    /// Fetch the cut's DNSKEY RRset and trust it from `ds` or `anchor_keys`.
    async fn zone_keys(
        &self,
        cut: &Cut,
        ds: &[Ds],
        anchor_keys: &[candor_wire::Dnskey],
        work: &mut Work,
    ) -> Result<Trust, Failure> {
        self.zone_keys_msg(cut, ds, anchor_keys, work).await.map(|(t, _)| t)
    }

    /// [`Self::zone_keys`], also handing back the DNSKEY response.
    async fn zone_keys_msg(
        &self,
        cut: &Cut,
        ds: &[Ds],
        anchor_keys: &[candor_wire::Dnskey],
        work: &mut Work,
    ) -> Result<(Trust, Message), Failure> {
        let now = self.clock.unix();
        let asked = self.ask(cut, &cut.zone, RType::DNSKEY, work).await.map_err(|mut f| {
            // Servers that answer SERVFAIL (not REFUSED: that is a lame
            // server) for keys the parent's DS says exist: the keys are
            // missing, not the servers.
            let servfail = f.answered.as_deref().is_some_and(|(_, rcode)| *rcode == Rcode::SERVFAIL);
            if f.kind.is_unanswered() && servfail && !ds.is_empty() {
                f.kind = FailureKind::DnskeyUnavailable;
                f = f.rrset(&cut.zone, RType::DNSKEY);
            }
            f
        })?;
        let msg = match asked {
            Reply::Answer(m) => m,
            Reply::Referral(..) => return Err(Failure::new(FailureKind::NoReachableAuthority, cut.zone.clone(), now)),
        };
        let mut trust = self.trust_from(&cut.zone, ds, anchor_keys, &msg, work);
        let mut msg = msg;
        // A bogus DNSKEY RRset from one server: the others may serve it right.
        let mut tried: Vec<SocketAddr> = work.last_server.into_iter().collect();
        let mut others = cut.clone();
        while matches!(trust, Trust::Bogus(_)) {
            let Some(other) = self.untried(&mut others, &mut tried, work).await else { break };
            let Ok(Reply::Answer(m)) = self.ask(&other, &cut.zone, RType::DNSKEY, work).await else { continue };
            let again = self.trust_from(&cut.zone, ds, anchor_keys, &m, work);
            if !matches!(again, Trust::Bogus(_)) {
                trust = again;
                msg = m;
            }
        }
        Ok((trust, msg))
    }

    /// Trust `zone`'s DNSKEY RRset as found in `msg` (a DNSKEY response),
    /// from `ds` or `anchor_keys`.
    fn trust_from(
        &self,
        zone: &Name,
        ds: &[Ds],
        anchor_keys: &[candor_wire::Dnskey],
        msg: &Message,
        work: &mut Work,
    ) -> Trust {
        let now = self.clock.unix();
        let dnskeys: Vec<Record> =
            msg.answers.iter().filter(|r| r.owner == *zone && r.rtype() == RType::DNSKEY).cloned().collect();
        let sigs = rrsigs_for(&msg.answers, zone, RType::DNSKEY);
        let input = KeyInput { zone, ds, anchor_keys, dnskeys: &dnskeys, rrsigs: &sigs };
        let trust = self.establish(&input, msg, now, work);
        work.record(|| Link::Keys {
            zone: zone.clone(),
            ds: ds.to_vec(),
            anchor_keys: anchor_keys.to_vec(),
            dnskeys: dnskeys
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Dnskey(k) => Some(k.clone()),
                    _ => None,
                })
                .collect(),
            rrsigs: sigs_of(&msg.answers, zone, RType::DNSKEY),
            state: link_state(&trust),
        });
        trust
    }

    fn establish(&self, input: &KeyInput<'_>, msg: &Message, now: u64, work: &mut Work) -> Trust {
        let dnskeys = input.dnskeys;
        match self.cfg.validator.establish_keys(input, now, &mut work.spent) {
            KeysOutcome::Secure(k) => Trust::Secure(k),
            KeysOutcome::Insecure(f) => Trust::Insecure(Some(f)),
            // No DNSKEY and not a signature in sight: the child is unsigned
            // while its parent still publishes a DS.
            KeysOutcome::Bogus(mut f) if f.kind == FailureKind::DnskeyMissing && dnskeys.is_empty() => {
                let signed = msg.answers.iter().chain(&msg.authority).any(|r| r.rtype() == RType::RRSIG);
                if !signed {
                    f.kind = FailureKind::DsUnsignedZone;
                }
                Trust::Bogus(f)
            }
            KeysOutcome::Bogus(f) => Trust::Bogus(f),
        }
    }

    /// The RFC 5011 state, when one is kept and readable.
    fn rfc5011_state(&self) -> Option<Rfc5011> {
        let path = self.cfg.anchor_state.as_ref()?;
        match Rfc5011::load(path) {
            Ok(s) => Some(s),
            Err(StateError::Io { kind: std::io::ErrorKind::NotFound, .. }) => None,
            Err(e) => {
                tracing::warn!("ignoring the RFC 5011 state: {e}");
                None
            }
        }
    }

    /// Feed a validated root DNSKEY RRset to RFC 5011 and save the state.
    fn observe_root_keys(&self, path: &std::path::Path, state: Option<Rfc5011>, msg: &Message) {
        let root = Name::root();
        let now = self.clock.unix();
        let dnskeys: Vec<candor_wire::Dnskey> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) if r.owner.is_root() => Some(k.clone()),
                _ => None,
            })
            .collect();
        let rrset: Vec<Record> =
            msg.answers.iter().filter(|r| r.owner.is_root() && r.rtype() == RType::DNSKEY).cloned().collect();
        let sigs = rrsigs_for(&msg.answers, &root, RType::DNSKEY);
        let policy = self.cfg.validator.policy;
        let backend = self.cfg.validator.backend;
        // RFC 5011 §2.1: a revocation counts only when the revoked key signed the RRset.
        let self_signed = |k: &candor_wire::Dnskey| {
            let Ok(public) = candor_crypto::PublicKey::from_dnskey(k, policy) else { return false };
            let tag = candor_crypto::key_tag(k);
            sigs.iter().any(|s| {
                s.key_tag == tag && candor_crypto::verify_rrsig(&rrset, s, &root, k, &public, now, backend).is_ok()
            })
        };
        let mut st = state.unwrap_or_else(|| {
            // First run: the keys the configured anchors vouch for are Valid.
            let vouched: Vec<candor_wire::Dnskey> = dnskeys
                .iter()
                .filter(|k| {
                    self.cfg.anchors.get(&root).is_some_and(|a| {
                        a.keys.contains(k) || a.ds.iter().any(|d| candor_crypto::ds_matches(d, &root, k) == Ok(true))
                    })
                })
                .cloned()
                .collect();
            Rfc5011::new(root.clone(), &vouched)
        });
        st.observe(&dnskeys, &self_signed, now);
        if let Err(e) = st.save(path) {
            tracing::error!("cannot save the RFC 5011 state: {e}");
        }
    }

    /// Run a denial proof over the (verified) denial records of `section`.
    fn deny<F>(&self, keys: &TrustedKeys, section: &[Record], work: &mut Work, prove: F) -> Result<Proof, Failure>
    where
        F: FnOnce(&mut dyn candor_denial::Nsec3Hasher, &Limits, &[Record]) -> Result<Proof, DenialError>,
    {
        let now = self.clock.unix();
        // Every RRset of the section must verify under the zone's keys.
        for (owner, rtype) in rrset_keys(section) {
            if matches!(rtype, RType::NS | RType::DS) {
                continue;
            }
            let set: Vec<Record> = section.iter().filter(|r| r.owner == owner && r.rtype() == rtype).cloned().collect();
            let sigs = rrsigs_for(section, &owner, rtype);
            self.cfg.validator.verify_rrset(&set, &sigs, keys, now, &mut work.spent)?;
        }
        // An NSEC or NSEC3 record expanded from a wildcard (its RRSIG has
        // fewer labels than its owner) proves nothing about its owner name:
        // it is left out of the proof.
        let synthesised = |r: &Record| {
            matches!(r.rtype(), RType::NSEC | RType::NSEC3)
                && rrsigs_for(section, &r.owner, r.rtype())
                    .iter()
                    .any(|s| usize::from(s.labels) < r.owner.rrsig_label_count())
        };
        let usable: Vec<Record>;
        let records = if section.iter().any(synthesised) {
            usable = section.iter().filter(|r| !synthesised(r)).cloned().collect();
            &usable[..]
        } else {
            section
        };
        let mut h = BudgetHasher::new(candor_crypto::nsec3_hash, self.cfg.hash_budget);
        prove(&mut h, &self.cfg.denial, records).map_err(|e| {
            let kind = match e {
                DenialError::HashBudget { .. } => FailureKind::ValidationBudget,
                DenialError::NextCloserNotCovered { .. } | DenialError::NoClosestEncloser { .. } => {
                    FailureKind::Nsec3Gap
                }
                DenialError::ParameterMismatch => FailureKind::Nsec3ParameterMismatch,
                DenialError::BitmapHasType { .. } => FailureKind::NsecBitmapHasType,
                _ => FailureKind::NsecMissing,
            };
            let mut f = Failure::new(kind, keys.zone.clone(), now);
            if let DenialError::HashBudget { limit } = e {
                f.budget = Some(Box::new(("NSEC3 hash blocks per response", limit)));
            }
            f
        })
    }

    /// Validate an authoritative response in the cut's zone.
    fn finish(&self, cut: &Cut, qname: &Name, qtype: RType, mut msg: Message, work: &mut Work) -> Resolution {
        let now = self.clock.unix();
        regroup_rrsigs(&mut msg);
        // Only the zone's own records count: out-of-zone answers (a CNAME
        // target elsewhere) are asked of their own zone instead.
        msg.answers.retain(|r| r.owner.is_subdomain_of(&cut.zone));
        // An NSEC whose next name lies outside the zone is malformed (it
        // would deny other zones' names): dropped with its RRSIGs, wherever
        // it is, as Unbound's scrubber does. Denial records of another zone
        // go too, except beside a chain that leaves this zone for a name
        // said not to exist: there they may be the target zone's own proof
        // (checked with that zone's keys, or not used).
        let leaves_zone = msg.header.rcode == Rcode::NXDOMAIN
            && msg.answers.iter().any(|r| matches!(&r.data, RData::Cname(t) if !t.is_subdomain_of(&cut.zone)));
        let overreaching: Vec<Name> = msg
            .answers
            .iter()
            .chain(&msg.authority)
            .filter_map(|r| match &r.data {
                RData::Nsec(n) if r.owner.is_subdomain_of(&cut.zone) && !n.next.is_subdomain_of(&cut.zone) => {
                    Some(r.owner.clone())
                }
                RData::Nsec(_) if !r.owner.is_subdomain_of(&cut.zone) && !leaves_zone => Some(r.owner.clone()),
                _ => None,
            })
            .collect();
        if !overreaching.is_empty() {
            let keep = |r: &Record| {
                !overreaching.contains(&r.owner)
                    || !(r.rtype() == RType::NSEC
                        || matches!(&r.data, RData::Rrsig(s) if s.type_covered == RType::NSEC))
            };
            msg.answers.retain(keep);
            msg.authority.retain(keep);
        }
        // Records of a zone below the cut that the same server serves (their
        // RRSIGs name it as signer) are that zone's to answer: a chain that
        // reaches them is followed there, with that zone's chain of trust.
        let below: Vec<Name> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Rrsig(s) if s.signer != cut.zone && s.signer.is_subdomain_of(&cut.zone) => {
                    Some(s.signer.clone())
                }
                _ => None,
            })
            .collect();
        if !below.is_empty() && !below.iter().any(|z| qname.is_subdomain_of(z)) {
            msg.answers.retain(|r| !below.iter().any(|z| r.owner.is_subdomain_of(z)));
        }
        // Records of types nobody asked for (nor CNAME/DNAME steps) are dropped.
        if qtype != RType::ANY {
            msg.answers.retain(|r| {
                let t = match &r.data {
                    RData::Rrsig(s) => s.type_covered,
                    _ => r.rtype(),
                };
                t == qtype || r.rtype() == qtype || matches!(t, RType::CNAME | RType::DNAME)
            });
            // A CNAME beside the asked-for data at the name itself (CNAME
            // and other data, which RFC 1034 §3.6.2 forbids): whichever
            // comes first answers, the other is dropped (as Unbound does).
            let both = |t: RType| msg.answers.iter().any(|r| r.owner == *qname && r.rtype() == t);
            if qtype != RType::CNAME && both(qtype) && both(RType::CNAME) {
                let first =
                    msg.answers.iter().find(|r| r.owner == *qname && r.rtype() != RType::RRSIG).map(Record::rtype);
                let drop = if first == Some(RType::CNAME) { qtype } else { RType::CNAME };
                msg.answers.retain(|r| {
                    let t = match &r.data {
                        RData::Rrsig(s) => s.type_covered,
                        _ => r.rtype(),
                    };
                    !(r.owner == *qname && t == drop)
                });
            }
        }
        // RFC 2181 §5: an RRset holds no duplicate records.
        dedup_records(&mut msg.answers);
        dedup_records(&mut msg.authority);
        // NXDOMAIN for an empty non-terminal (an NSEC's next name lies below
        // the name, so names exist under it): the name exists, the answer
        // is NODATA, and is validated as such (as Unbound corrects it).
        if msg.header.rcode == Rcode::NXDOMAIN
            && msg.answers.is_empty()
            && msg.authority.iter().any(|r| {
                matches!(&r.data, RData::Nsec(n) if r.owner < *qname && n.next != *qname && n.next.is_subdomain_of(qname))
            })
        {
            msg.header.rcode = Rcode::NOERROR;
        }
        let rcode = msg.header.rcode;
        let security = match &cut.trust {
            Trust::Bogus(f) => Security::Bogus(f.clone()),
            Trust::Insecure(f) => Security::Insecure(f.clone()),
            Trust::Secure(keys) => self.validate_answer(keys, qname, qtype, &msg, work, now),
        };
        let security = blame_malformed(security, &msg.answers, &work.scrubbed, &cut.zone, now);
        work.record(|| Link::Answer {
            zone: cut.zone.clone(),
            rcode,
            rrsets: rrsets_of(&msg.answers).into_iter().chain(rrsets_of(&msg.authority)).collect(),
            state: security_state(&security),
        });
        if let (Trust::Secure(keys), Security::Secure) = (&cut.trust, &security)
            && rcode == Rcode::NOERROR
            && !msg.answers.is_empty()
            && self.cfg.cache.aggressive_nsec
            && msg.authority.iter().any(|r| matches!(r.rtype(), RType::NSEC | RType::NSEC3))
        {
            self.keep_proofs(keys, &msg.authority, work);
            // A wildcard expansion (validated with its proof): kept to
            // answer other names the proof covers (RFC 8198 §5.4).
            self.cache.learn_wildcard(&keys.zone, &msg.answers, &msg.authority, self.clock.monotonic(), now);
        }
        // A minimal positive answer keeps only its proofs (a wildcard
        // expansion's) in the authority section. An answer that needs a
        // proof cannot be minimal anyway, and is passed on in the shape the
        // authoritative server gave it, as a non-minimal answer is: the
        // zone's NS RRset and the addresses of the answer's in-zone targets
        // ride along, each only when it validates on its own (it must not
        // travel under AD unproven).
        let mut authority = msg.authority;
        let mut additional = Vec::new();
        if rcode == Rcode::NOERROR && !msg.answers.is_empty() {
            // The proofs a positive answer rests on: a wildcard expansion's
            // (NSEC or NSEC3), and that a chain's target lies below an
            // unsigned delegation (an NSEC at a cut: NS without SOA or DS;
            // NSEC3, opt-out, may cover it). Any other NSEC proves nothing
            // about this answer and is not passed on.
            let expanded = msg
                .answers
                .iter()
                .any(|r| matches!(&r.data, RData::Rrsig(s) if usize::from(s.labels) < r.owner.rrsig_label_count()));
            let cuts: Vec<Name> = authority
                .iter()
                .filter(|r| {
                    matches!(&r.data, RData::Nsec(n)
                        if n.types.contains(RType::NS) && !n.types.contains(RType::SOA) && !n.types.contains(RType::DS))
                })
                .map(|r| r.owner.clone())
                .collect();
            let is_proof = |r: &Record| match &r.data {
                RData::Rrsig(s) if s.type_covered == RType::NSEC => expanded || cuts.contains(&r.owner),
                RData::Rrsig(s) => s.type_covered == RType::NSEC3,
                RData::Nsec(_) => expanded || cuts.contains(&r.owner),
                _ => r.rtype() == RType::NSEC3,
            };
            let whole = !self.cfg.minimal_responses || authority.iter().any(is_proof);
            let ns = if whole {
                self.referral_data(cut, qname, &authority, &msg.additional, &mut additional, work)
            } else {
                Vec::new()
            };
            authority.retain(is_proof);
            authority.extend(ns);
            // An NS answer comes with its in-zone servers' addresses
            // (RFC 1034 §4.3.2's additional section processing), each
            // validated like the answer; a whole answer with those of its
            // MX and SRV targets too (RFC 1035 §3.3.9, RFC 2782).
            if qtype == RType::NS {
                let ns_set: Vec<Record> =
                    msg.answers.iter().filter(|r| r.owner == *qname && r.rtype() == RType::NS).cloned().collect();
                self.host_addresses(cut, qname, &ns_set, &msg.additional, &mut additional, work);
            } else if whole {
                // (Only the asked type, CNAMEs and DNAMEs are left in the
                // answer: no NS records here.)
                self.host_addresses(cut, &cut.zone, &msg.answers, &msg.additional, &mut additional, work);
            }
        }
        // A negative answer carries its SOA and proof, and a NODATA answer
        // the zone's NS RRset only when responses are not minimal and it
        // validates on its own (the proof does not cover it: it must not
        // ride along unvalidated under AD); the SOA lives no longer than its minimum
        // field (RFC 2308 §5), and says so to the client.
        if msg.answers.is_empty() {
            let nodata = rcode == Rcode::NOERROR;
            let ns = if self.cfg.minimal_responses || !nodata {
                Vec::new()
            } else {
                self.referral_data(cut, qname, &authority, &msg.additional, &mut additional, work)
            };
            authority.retain(|r| !is_ns_or_sig(r));
            authority.extend(ns);
            cap_soa_ttl(&mut authority);
        }
        // An RRset already in the answer is not repeated as additional data.
        let key = |r: &Record| match &r.data {
            RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
            _ => (r.owner.clone(), r.rtype()),
        };
        additional.retain(|r| !msg.answers.iter().any(|a| key(a) == key(r)));
        Resolution { rcode, answers: msg.answers, authority, security, from_cache: false, additional }
    }

    /// For non-minimal responses: the zone's NS RRset from `authority` and
    /// its in-zone servers' addresses from `extra` (into `additional`),
    /// each with its RRSIGs and, in a secure zone, only if it verifies.
    fn referral_data(
        &self,
        cut: &Cut,
        qname: &Name,
        authority: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) -> Vec<Record> {
        // The zone the answer comes from: the cut's, or a zone between it
        // and the name that the same servers serve (its NS RRset then
        // verifies only where that zone is insecure).
        let Some(zone) = authority
            .iter()
            .filter(|r| r.rtype() == RType::NS && qname.is_subdomain_of(&r.owner) && r.owner.is_subdomain_of(&cut.zone))
            .map(|r| r.owner.clone())
            .max_by_key(Name::label_count)
        else {
            return Vec::new();
        };
        let Some(ns) = self.verified_rrset(trusted(cut), authority, &zone, RType::NS, work) else { return Vec::new() };
        self.host_addresses(cut, &zone, &ns, extra, additional, work);
        ns
    }

    /// `owner`/`rtype` from `section` with its RRSIGs, when it is there and
    /// verifies with `keys` (any set does without keys: an insecure zone).
    fn verified_rrset(
        &self,
        keys: Option<&TrustedKeys>,
        section: &[Record],
        owner: &Name,
        rtype: RType,
        work: &mut Work,
    ) -> Option<Vec<Record>> {
        let records = rrset_with_sigs(section, owner, rtype);
        let set: Vec<Record> = records.iter().filter(|r| r.rtype() == rtype).cloned().collect();
        if set.is_empty() {
            return None;
        }
        if let Some(keys) = keys {
            let sigs = rrsigs_for(section, owner, rtype);
            self.cfg.validator.verify_rrset(&set, &sigs, keys, self.clock.unix(), &mut work.spent).ok()?;
        }
        Some(records)
    }

    /// The addresses in `extra` of the hosts that records in `records` name
    /// inside `zone` (NS, MX and SRV targets; into `additional`), each with
    /// its RRSIGs and, in a secure zone, only if it verifies.
    fn host_addresses(
        &self,
        cut: &Cut,
        zone: &Name,
        records: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) {
        let hosts = records.iter().filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            RData::Mx(m) => Some(&m.exchange),
            RData::Srv(s) => Some(&s.target),
            _ => None,
        });
        for host in hosts.filter(|h| h.is_subdomain_of(zone)) {
            for t in [RType::A, RType::AAAA] {
                if let Some(records) = self.verified_rrset(trusted(cut), extra, host, t, work) {
                    additional.extend(records);
                }
            }
        }
        dedup_records(additional);
    }

    fn validate_answer(
        &self,
        keys: &TrustedKeys,
        qname: &Name,
        qtype: RType,
        msg: &Message,
        work: &mut Work,
        now: u64,
    ) -> Security {
        // RRSIG RRsets are not signed (RFC 4035 §2.2): an answer to a query
        // for them cannot be validated, only passed on without AD.
        if qtype == RType::RRSIG && msg.answers.iter().any(|r| r.owner == *qname) {
            return Security::Insecure(None);
        }
        // Records, but none for the name (nor a DNAME above it): not an answer.
        let answered = msg.answers.iter().any(|r| {
            r.rtype() != RType::RRSIG
                && (r.owner == *qname || (r.rtype() == RType::DNAME && qname.is_subdomain_of(&r.owner)))
        });
        // NXDOMAIN with a CNAME chain (RFC 6604): the rcode is about the
        // chain's last name; the chain itself is validated like an answer.
        let nx_chain = msg.header.rcode == Rcode::NXDOMAIN && answered;
        let mut denied = qname.clone();
        if (matches!(msg.header.rcode, Rcode::NOERROR | Rcode::YXDOMAIN) || nx_chain) && answered {
            let mut wildcard_labels = None;
            for (owner, rtype) in rrset_keys(&msg.answers) {
                let set: Vec<Record> =
                    msg.answers.iter().filter(|r| r.owner == owner && r.rtype() == rtype).cloned().collect();
                let sigs = rrsigs_for(&msg.answers, &owner, rtype);
                // A CNAME synthesised from a DNAME is unsigned (RFC 6672 §5.3.1):
                // it must be exactly the DNAME's rewrite, and the DNAME is verified.
                if rtype == RType::CNAME && sigs.is_empty() {
                    match dname_rewrite(&msg.answers, &owner) {
                        Some(target) if set.iter().all(|r| matches!(&r.data, RData::Cname(t) if *t == target)) => {
                            continue;
                        }
                        Some(_) => {
                            // A forged CNAME beside a DNAME: the DNAME, when it
                            // verifies on its own, is kept (RRsets are
                            // validated one by one), so that names below it
                            // are rewritten by it, not by the forger.
                            let dname = msg
                                .answers
                                .iter()
                                .find(|r| r.rtype() == RType::DNAME && owner.is_subdomain_of(&r.owner))
                                .map(|r| r.owner.clone());
                            if let Some(d) = dname
                                && let Some(records) =
                                    self.verified_rrset(Some(keys), &msg.answers, &d, RType::DNAME, work)
                            {
                                self.cache.keep_rrset(&records, true, self.clock.monotonic(), now);
                            }
                            let f = Failure::new(FailureKind::SignatureInvalid, keys.zone.clone(), now);
                            return Security::Bogus(f.rrset(&owner, RType::CNAME));
                        }
                        None => {}
                    }
                }
                if let Err(f) = self.cfg.validator.verify_rrset(&set, &sigs, keys, now, &mut work.spent) {
                    return Security::Bogus(f);
                }
                let expanded = sigs.iter().map(|s| s.labels).find(|l| usize::from(*l) < owner.rrsig_label_count());
                if rtype == RType::DNAME && expanded.is_some() {
                    let f = Failure::new(FailureKind::WildcardDname, keys.zone.clone(), now);
                    return Security::Bogus(f.rrset(&owner, RType::DNAME));
                }
                if let Some(l) = expanded {
                    wildcard_labels = Some((owner.clone(), l));
                }
            }
            if let Some((owner, labels)) = wildcard_labels {
                return match self.deny(keys, &msg.authority, work, |h, lim, recs| {
                    candor_denial::wildcard_answer(&owner, labels, &keys.zone, recs, h, lim)
                }) {
                    Ok(p) if !p.is_insecure() => Security::Secure,
                    Ok(Proof::Insecure(i)) => Security::Insecure(Some(insecure_failure(&i, &keys.zone, now))),
                    Ok(_) => Security::Insecure(None),
                    Err(f) => Security::Bogus(f.rrset(&owner, qtype)),
                };
            }
            if !nx_chain {
                return Security::Secure;
            }
            // The chain leaves the zone: its last name is proven elsewhere.
            denied = chain_end(&msg.answers, qname);
            if !denied.is_subdomain_of(&keys.zone) {
                return Security::Secure;
            }
        }
        let proof = if msg.header.rcode == Rcode::NXDOMAIN {
            self.deny(keys, &msg.authority, work, |h, lim, recs| {
                candor_denial::nxdomain(&denied, &keys.zone, recs, h, lim)
            })
        } else {
            self.deny(keys, &msg.authority, work, |h, lim, recs| {
                candor_denial::nodata(qname, qtype, &keys.zone, recs, h, lim)
            })
        };
        match proof {
            Ok(Proof::Insecure(i)) => Security::Insecure(Some(insecure_failure(&i, &keys.zone, now))),
            Ok(Proof::OptOut) => Security::Insecure(None),
            Ok(_) => Security::Secure,
            Err(f) => Security::Bogus(f.rrset(qname, qtype)),
        }
    }
}

/// The zone strictly below `zone` (and at or above `qname`) whose
/// signatures an answer carries, when the answer came from a server of
/// both.
fn signer_below(zone: &Name, qname: &Name, msg: &Message) -> Option<Name> {
    let below = |z: &Name| z != zone && z.is_subdomain_of(zone) && qname.is_subdomain_of(z);
    msg.answers
        .iter()
        .chain(&msg.authority)
        .find_map(|r| match &r.data {
            RData::Rrsig(s) if below(&s.signer) => Some(s.signer.clone()),
            _ => None,
        })
        // An unsigned zone shows itself by its SOA in a negative answer.
        .or_else(|| msg.authority.iter().find(|r| r.rtype() == RType::SOA && below(&r.owner)).map(|r| r.owner.clone()))
}

/// Put each RRSIG in the section of the RRset it covers (some servers
/// misplace them); signatures over nothing in the message stay put.
fn regroup_rrsigs(msg: &mut Message) {
    let covers = |section: &[Record], s: &candor_wire::Rrsig, owner: &Name| {
        section.iter().any(|r| r.owner == *owner && r.rtype() == s.type_covered)
    };
    // The usual case: every RRSIG sits with its RRset; nothing to move.
    let misplaced = [&msg.answers, &msg.authority, &msg.additional]
        .into_iter()
        .any(|section| section.iter().any(|r| matches!(&r.data, RData::Rrsig(s) if !covers(section, s, &r.owner))));
    if !misplaced {
        return;
    }
    let mut moved: [Vec<Record>; 3] = Default::default();
    for (i, section) in [&mut msg.answers, &mut msg.authority, &mut msg.additional].into_iter().enumerate() {
        let mut keep = Vec::with_capacity(section.len());
        for r in section.drain(..) {
            match &r.data {
                RData::Rrsig(s) if !covers(&keep, s, &r.owner) => {
                    if let Some(m) = moved.get_mut(i) {
                        m.push(r);
                    }
                }
                _ => keep.push(r),
            }
        }
        *section = keep;
    }
    // Each stray signature goes where its RRset is, else back where it was.
    for (from, sigs) in moved.into_iter().enumerate() {
        for r in sigs {
            let RData::Rrsig(s) = &r.data else { continue };
            let target = if covers(&msg.answers, s, &r.owner) {
                0
            } else if covers(&msg.authority, s, &r.owner) {
                1
            } else if covers(&msg.additional, s, &r.owner) {
                2
            } else {
                from
            };
            match target {
                0 => msg.answers.push(r),
                1 => msg.authority.push(r),
                _ => msg.additional.push(r),
            }
        }
    }
}

/// The last name of the CNAME chain that starts at `qname` in `answers`.
fn chain_end(answers: &[Record], qname: &Name) -> Name {
    let mut name = qname.clone();
    for _ in 0..answers.len() {
        let next = answers.iter().find_map(|r| match &r.data {
            RData::Cname(t) if r.owner == name => Some(t.clone()),
            _ => None,
        });
        match next {
            Some(t) if t != name => name = t,
            _ => break,
        }
    }
    name
}

/// Drop repeated records (same owner, type, class and data), keeping the
/// first of each.
fn dedup_records(records: &mut Vec<Record>) {
    let same = |a: &Record, b: &Record| a.owner == b.owner && a.class == b.class && a.data == b.data;
    if !records.iter().enumerate().any(|(i, r)| records.iter().skip(i + 1).any(|o| same(r, o))) {
        return; // the usual case: nothing repeated, nothing rebuilt
    }
    let mut kept: Vec<Record> = Vec::with_capacity(records.len());
    for r in records.drain(..) {
        if !kept.iter().any(|k| same(k, &r)) {
            kept.push(r);
        }
    }
    *records = kept;
}

/// The DS rdata among `records`.
fn ds_of(records: &[Record]) -> Vec<Ds> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Ds(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// The name a DNAME in `answers` rewrites `owner` to, if one applies.
fn dname_rewrite(answers: &[Record], owner: &Name) -> Option<Name> {
    answers.iter().find_map(|r| match &r.data {
        RData::Dname(target) if owner.is_subdomain_of(&r.owner) && *owner != r.owner => {
            let keep = owner.label_count() - r.owner.label_count();
            let labels: Vec<&[u8]> = owner.labels().take(keep).collect();
            labels.iter().rev().try_fold(target.clone(), |acc, l| acc.prepend(l).ok())
        }
        _ => None,
    })
}

/// When the root's own keys fail the time check, the local clock is the
/// likelier culprit: say so.
fn clock_hint(t: Trust) -> Trust {
    match t {
        Trust::Bogus(mut f) if f.zone.is_root() => {
            f.kind = match f.kind {
                FailureKind::SignatureExpired => FailureKind::ClockAhead,
                FailureKind::SignatureNotYetValid => FailureKind::ClockBehind,
                k => k,
            };
            Trust::Bogus(f)
        }
        t => t,
    }
}

fn insecure_failure(i: &candor_denial::Insecure, zone: &Name, now: u64) -> Failure {
    let kind = match i {
        candor_denial::Insecure::IterationsAboveCap { .. } => FailureKind::Nsec3IterationsAboveCap,
        _ => FailureKind::UnsupportedAlgorithm,
    };
    Failure::new(kind, zone.clone(), now)
}

/// The worst verdict of a CNAME chain's links.
fn combine(v: Vec<Security>) -> Security {
    let mut out = Security::Secure;
    for s in v {
        out = match (&out, s) {
            (Security::Servfail(_) | Security::Bogus(_), _) => return out,
            (_, s @ (Security::Servfail(_) | Security::Bogus(_))) => return s,
            (Security::Insecure(Some(_)), _) => out,
            (_, s @ Security::Insecure(_)) => s,
            (_, Security::Secure) => out,
        };
    }
    out
}

/// An authority's response, leaving out records whose RDATA does not
/// parse (the rest may still answer); `None` when the message itself is
/// broken.
fn scrubbed(bytes: &[u8], server: SocketAddr, work: &mut Work) -> Option<Message> {
    let (msg, dropped) = Message::from_wire_scrubbed(bytes).ok()?;
    if !dropped.is_empty() {
        tracing::debug!(%server, dropped = dropped.len(), "malformed records left out of a response");
        work.scrubbed.extend(dropped);
    }
    Some(msg)
}

/// When the server sent records with malformed RDATA (left out): a
/// signature that fails over such an RRset blames the record, not the
/// signer, and unvalidated data that lost one says so (EDE 0 on the
/// answer, as insecure-by-policy answers do).
fn blame_malformed(
    security: Security,
    answers: &[Record],
    scrubbed: &[(Name, RType)],
    zone: &Name,
    now: u64,
) -> Security {
    if scrubbed.is_empty() {
        return security;
    }
    let lost = |owner: &Name, rtype: RType| scrubbed.iter().any(|(o, t)| o == owner && *t == rtype);
    match security {
        Security::Bogus(mut f)
            if f.kind == FailureKind::SignatureInvalid && f.rrset.as_ref().is_some_and(|(o, t)| lost(o, *t)) =>
        {
            f.kind = FailureKind::MalformedRecord;
            Security::Bogus(f)
        }
        Security::Insecure(None) => match answers.iter().find(|r| lost(&r.owner, r.rtype())) {
            Some(r) => Security::Insecure(Some(
                Failure::new(FailureKind::MalformedRecord, zone.clone(), now).rrset(&r.owner, r.rtype()),
            )),
            None => Security::Insecure(None),
        },
        s => s,
    }
}

/// An rcode that says the server failed (not that it refused or is lame).
fn is_server_error(rcode: Rcode) -> bool {
    matches!(rcode, Rcode::SERVFAIL | Rcode::FORMERR | Rcode::NOTIMP)
}

/// The failure when no server gave a usable answer: EDE 23 when one at
/// least answered with a server error, else EDE 22.
fn unanswered(server_error: bool) -> FailureKind {
    if server_error { FailureKind::AuthorityError } else { FailureKind::NoReachableAuthority }
}

/// A glue address: the name server and one of its addresses.
type Glue = (Name, IpAddr);

/// Whether `r` is a record of `owner`/`rtype` or an RRSIG over that RRset.
fn covers(r: &Record, owner: &Name, rtype: RType) -> bool {
    r.owner == *owner && (r.rtype() == rtype || matches!(&r.data, RData::Rrsig(s) if s.type_covered == rtype))
}

/// The `owner`/`rtype` RRset in `section` with its RRSIGs.
fn rrset_with_sigs(section: &[Record], owner: &Name, rtype: RType) -> Vec<Record> {
    section.iter().filter(|r| covers(r, owner, rtype)).cloned().collect()
}

/// The keys of a secure cut; none for an insecure or bogus one.
fn trusted(cut: &Cut) -> Option<&TrustedKeys> {
    match &cut.trust {
        Trust::Secure(keys) => Some(keys),
        _ => None,
    }
}

/// A negative answer's SOA lives no longer than its minimum field (RFC
/// 2308 §5).
fn cap_soa_ttl(records: &mut [Record]) {
    for r in records {
        if let RData::Soa(soa) = &r.data {
            r.ttl = r.ttl.min(soa.minimum);
        }
    }
}

/// An NS record or an RRSIG over one.
fn is_ns_or_sig(rr: &Record) -> bool {
    match &rr.data {
        RData::Rrsig(s) => s.type_covered == RType::NS,
        _ => rr.rtype() == RType::NS,
    }
}

/// (owner, type) of each RRset in a section, RRSIGs aside, in order.
fn rrset_keys(section: &[Record]) -> Vec<(Name, RType)> {
    let mut v: Vec<(Name, RType)> = Vec::new();
    for r in section.iter().filter(|r| r.rtype() != RType::RRSIG) {
        let k = (r.owner.clone(), r.rtype());
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

enum Kind {
    Answer,
    Referral(Name),
}

/// How long a cut learned from a referral is kept: the smallest TTL of
/// the referral's authority records (the NS set, the DS or the proof there
/// is none), at most [`CUT_TTL`]. A parent that adds a DS is heard from
/// when the old delegation's TTL runs out.
fn referral_ttl(msg: &Message) -> Duration {
    let ttl = msg.authority.iter().map(|r| r.ttl).min().unwrap_or(0);
    Duration::from_secs(u64::from(ttl)).clamp(Duration::from_secs(1), CUT_TTL)
}

/// Does a referral to `zone` carry the zone's DS RRset?
fn referral_has_ds(msg: &Message, zone: &Name) -> bool {
    msg.authority.iter().any(|r| r.owner == *zone && r.rtype() == RType::DS)
}

/// A referral to `zone` carrying its DS RRset turned into the answer to
/// `zone`/DS: the DS and its RRSIGs move to the answer, the delegation's
/// NS and glue go.
fn ds_from_referral(mut msg: Message, zone: &Name) -> Message {
    let (ds, rest): (Vec<Record>, Vec<Record>) = msg.authority.into_iter().partition(|r| covers(r, zone, RType::DS));
    msg.answers = ds;
    msg.authority = rest.into_iter().filter(|r| r.rtype() != RType::NS).collect();
    msg.additional.clear();
    msg
}

/// NOERROR with empty answer and authority sections.
fn is_empty(msg: &Message) -> bool {
    msg.header.rcode == Rcode::NOERROR && msg.answers.is_empty() && msg.authority.is_empty()
}

/// An answer taken only when no server of the zone gives a better one:
/// an empty NOERROR, or RA without AA (a recursive resolver answering from
/// its cache where an authority should be: Unbound's recursion-lame).
fn is_weak(msg: &Message) -> bool {
    is_empty(msg) || (msg.header.flags.ra && !msg.header.flags.aa)
}

/// What a response from a server of `zone` is: an answer, a referral to a
/// zone strictly between `zone` and `qname`, or nothing usable (lame,
/// refused, an upward referral).
///
/// Like Unbound and Knot, an answer without AA is still taken when it
/// answers: records owned by the name, NXDOMAIN, or NODATA with the
/// zone's SOA (the data is validated all the same). What is not an answer
/// and not a downward referral is lame.
fn classify(msg: &Message, zone: &Name, qname: &Name) -> Option<Kind> {
    if !msg.header.flags.qr {
        return None;
    }
    // YXDOMAIN: a DNAME whose rewrite of the name would be too long (RFC
    // 6672 §2.2), an answer like any other.
    if msg.header.rcode == Rcode::YXDOMAIN {
        let dname = msg.answers.iter().any(|r| {
            r.rtype() == RType::DNAME
                && r.owner.is_subdomain_of(zone)
                && qname.is_subdomain_of(&r.owner)
                && *qname != r.owner
        });
        return (dname && dname_rewrite(&msg.answers, qname).is_none()).then_some(Kind::Answer);
    }
    if !matches!(msg.header.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) {
        return None;
    }
    let child = msg.authority.iter().find_map(|r| match r.data {
        RData::Ns(_) if r.owner != *zone && r.owner.is_subdomain_of(zone) && qname.is_subdomain_of(&r.owner) => {
            Some(r.owner.clone())
        }
        _ => None,
    });
    let soa = msg.authority.iter().any(|r| r.rtype() == RType::SOA && r.owner.is_subdomain_of(zone));
    // A downward referral, even with AA set (some servers do): no answer,
    // no SOA, the child's NS.
    if msg.answers.is_empty() && msg.header.rcode == Rcode::NOERROR && !soa && child.is_some() {
        return child.map(Kind::Referral);
    }
    // NOERROR with nothing at all in answer and authority proves nothing
    // (a NODATA carries the SOA): another server may answer (as Unbound);
    // when none does, it is taken as the NODATA it may be.
    if is_empty(msg) {
        return None;
    }
    // An upward referral (NS of a zone above this one, no answer, no SOA)
    // is lame, AA or not.
    let upward_ns = msg.authority.iter().any(|r| r.rtype() == RType::NS && !r.owner.is_subdomain_of(zone));
    if msg.answers.is_empty() && !soa && upward_ns {
        return None;
    }
    if msg.header.flags.aa {
        return Some(Kind::Answer);
    }
    let answers = msg.answers.iter().any(|r| r.owner == *qname);
    // Empty and without NS (an upward referral is lame): NODATA or NXDOMAIN.
    let upward = msg.authority.iter().any(|r| r.rtype() == RType::NS);
    (answers || (msg.answers.is_empty() && (soa || !upward))).then_some(Kind::Answer)
}
