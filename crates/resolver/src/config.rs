//! The resolver's settings ([`Config`]) and forward/stub zones
//! ([`Forward`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_denial::Limits;
use candor_wire::Name;

use crate::cache::CacheLimits;
use crate::outbound::Outbound;
use crate::validator::verify::Validator;

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
    /// Send upstream query names in random case and require the reply to
    /// echo it (0x20); a setting of the transport ([`crate::NetTransport`]),
    /// kept here with the rest of the configuration.
    pub case_randomisation: bool,
    /// Send DNS cookies to authoritative servers and discard replies
    /// that do not carry ours (RFC 7873).
    pub client_cookies: bool,
    /// Client questions being resolved at once, in all (enforced by the
    /// server that takes them; past it: SERVFAIL at once).
    pub max_in_flight: u32,
    /// Client questions being resolved at once for one client address.
    pub max_in_flight_per_client: u32,
    /// Records one RRset of a response may hold (an RRset past it is
    /// SERVFAIL, never kept truncated).
    pub max_rrset_records: u32,
    /// Records one response may hold in all its sections.
    pub max_response_records: u32,
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
    /// How long a client waits for the refresh of an expired answer before
    /// it gets the stale one (RFC 8767's client response timer; serve-stale
    /// itself is [`CacheLimits::serve_stale`](crate::CacheLimits)).
    pub stale_client_timeout: Duration,
    /// Warn when a zone's signatures seen in live traffic expire within
    /// this long (`candor control expiring` lists the soonest).
    pub expiry_warning: Duration,
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
            case_randomisation: true,
            client_cookies: true,
            max_in_flight: 4096,
            max_in_flight_per_client: 256,
            max_rrset_records: 256,
            max_response_records: 1024,
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
            stale_client_timeout: Duration::from_millis(1800),
            expiry_warning: Duration::from_secs(48 * 3600),
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
