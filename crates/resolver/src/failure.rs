//! Failures as values: what broke, where, with the numbers an operator
//! needs, and the RFC 8914 Extended DNS Error they become.

use std::fmt::Write as _;

use candor_wire::{Algorithm, Name, RType};

pub use crate::budget_kind::BudgetKind;
use crate::evidence::{DsSource, Evidence, Outcome, Written, ago, ds_advice, iso};

/// RFC 8914 info-code 13, Cached Error.
pub(crate) const EDE_CACHED_ERROR: u16 = 13;

/// The classes of failure the resolver tells apart (../shared/DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// An RRSIG expired (EDE 7).
    SignatureExpired,
    /// An RRSIG's inception is in the future (EDE 8).
    SignatureNotYetValid,
    /// The local clock is ahead: the root's own signatures look expired (EDE 7).
    ClockAhead,
    /// The local clock is behind: the root's signatures look not yet valid (EDE 8).
    ClockBehind,
    /// An RRSIG expires before its inception (EDE 25).
    ExpirationBeforeInception,
    /// The parent's DS matches no DNSKEY of the child (EDE 9).
    DsNoMatchingKey,
    /// The parent has a DS but the child is unsigned (EDE 9).
    DsUnsignedZone,
    /// No DNSKEY with the RRSIG's key tag and algorithm (EDE 9).
    DnskeyMissing,
    /// The parent has a DS but the child's servers answer the DNSKEY
    /// query with an error (EDE 9).
    DnskeyUnavailable,
    /// A signed zone's RRset without an RRSIG (EDE 10).
    RrsigsMissing,
    /// The DS-matched or signing DNSKEY lacks the zone-key bit (EDE 11).
    NoZoneKeyBit,
    /// A negative or wildcard answer without its NSEC/NSEC3 records (EDE 12).
    NsecMissing,
    /// NSEC3 records that leave the name's hash uncovered: a gap or a
    /// wrong hash in the chain (EDE 12).
    Nsec3Gap,
    /// NSEC3 records of one proof disagree on salt or iterations (EDE 12).
    Nsec3ParameterMismatch,
    /// The NSEC/NSEC3 bitmap lists the type said to be absent (EDE 12).
    NsecBitmapHasType,
    /// A signature does not verify (EDE 6).
    SignatureInvalid,
    /// A DNAME signed as a wildcard expansion: wildcard DNAMEs are not
    /// synthesised (RFC 4592 §4.4, RFC 6672 §3.3) (EDE 6).
    WildcardDname,
    /// The root key sentinel's deliberate SERVFAIL (RFC 8509 §3.2): the
    /// key tag in the name is (not-ta) or is not (is-ta) a root trust
    /// anchor here (EDE 6, as validation failures signal it).
    KeySentinel,
    /// Algorithm-downgrade hardening: an algorithm the DS set or anchor
    /// lists signs none of the RRset's signatures that verify (EDE 6).
    AlgorithmMissing,
    /// A referral inside a signed zone to a name the parent's validated
    /// denial shows is not a delegation (no NS bit, or an apex's SOA bit:
    /// RFC 6840 §4.4): a forged or broken referral (EDE 6).
    NotADelegation,
    /// The server sent a record of the RRset whose RDATA does not fit its
    /// type: it was left out, and the RRset's signature no longer verifies
    /// (EDE 0, Other: the signer is not at fault).
    MalformedRecord,
    /// Only unsupported algorithms: insecure (EDE 1, informational).
    UnsupportedAlgorithm,
    /// Only unsupported DS digest types: insecure (EDE 2, informational).
    UnsupportedDigest,
    /// NSEC3 iterations above the cap: insecure (EDE 27, informational).
    Nsec3IterationsAboveCap,
    /// No authority answered (EDE 22).
    NoReachableAuthority,
    /// The zone's servers answered, but with server errors (SERVFAIL,
    /// FORMERR, NOTIMP) and nothing usable (EDE 23, Network Error: "an
    /// unrecoverable error occurred while communicating with another
    /// server", RFC 8914 §4.24).
    AuthorityError,
    /// A validation budget ran out (EDE 6).
    ValidationBudget,
    /// A resolution budget ran out (EDE 0).
    ResolutionBudget,
    /// Too many client questions are being resolved at once, in all or
    /// from this client: answered at once without resolving (EDE 0).
    Overloaded,
    /// Validation is off here: a negative trust anchor (EDE 33, a draft
    /// code, sent only when enabled).
    NegativeTrustAnchor,
}

impl FailureKind {
    /// Every kind (the metrics count verdicts by kind).
    pub const ALL: [FailureKind; 30] = [
        FailureKind::SignatureExpired,
        FailureKind::SignatureNotYetValid,
        FailureKind::ClockAhead,
        FailureKind::ClockBehind,
        FailureKind::ExpirationBeforeInception,
        FailureKind::DsNoMatchingKey,
        FailureKind::DsUnsignedZone,
        FailureKind::DnskeyMissing,
        FailureKind::DnskeyUnavailable,
        FailureKind::RrsigsMissing,
        FailureKind::NoZoneKeyBit,
        FailureKind::NsecMissing,
        FailureKind::Nsec3Gap,
        FailureKind::Nsec3ParameterMismatch,
        FailureKind::NsecBitmapHasType,
        FailureKind::SignatureInvalid,
        FailureKind::WildcardDname,
        FailureKind::KeySentinel,
        FailureKind::AlgorithmMissing,
        FailureKind::NotADelegation,
        FailureKind::MalformedRecord,
        FailureKind::UnsupportedAlgorithm,
        FailureKind::UnsupportedDigest,
        FailureKind::Nsec3IterationsAboveCap,
        FailureKind::NoReachableAuthority,
        FailureKind::AuthorityError,
        FailureKind::ValidationBudget,
        FailureKind::ResolutionBudget,
        FailureKind::Overloaded,
        FailureKind::NegativeTrustAnchor,
    ];

    /// This kind's place in [`FailureKind::ALL`].
    pub fn index(self) -> usize {
        use FailureKind::*;
        match self {
            SignatureExpired => 0,
            SignatureNotYetValid => 1,
            ClockAhead => 2,
            ClockBehind => 3,
            ExpirationBeforeInception => 4,
            DsNoMatchingKey => 5,
            DsUnsignedZone => 6,
            DnskeyMissing => 7,
            DnskeyUnavailable => 8,
            RrsigsMissing => 9,
            NoZoneKeyBit => 10,
            NsecMissing => 11,
            Nsec3Gap => 12,
            Nsec3ParameterMismatch => 13,
            NsecBitmapHasType => 14,
            SignatureInvalid => 15,
            WildcardDname => 16,
            KeySentinel => 17,
            AlgorithmMissing => 18,
            NotADelegation => 19,
            MalformedRecord => 20,
            UnsupportedAlgorithm => 21,
            UnsupportedDigest => 22,
            Nsec3IterationsAboveCap => 23,
            NoReachableAuthority => 24,
            AuthorityError => 25,
            ValidationBudget => 26,
            ResolutionBudget => 27,
            Overloaded => 28,
            NegativeTrustAnchor => 29,
        }
    }

    /// No server of the zone gave a usable answer: none answered
    /// ([`NoReachableAuthority`](FailureKind::NoReachableAuthority)) or
    /// those that did answered with errors
    /// ([`AuthorityError`](FailureKind::AuthorityError)).
    pub fn is_unanswered(self) -> bool {
        matches!(self, FailureKind::NoReachableAuthority | FailureKind::AuthorityError)
    }

    /// The RFC 8914 info-code.
    pub fn ede_code(self) -> u16 {
        use FailureKind::*;
        match self {
            SignatureExpired | ClockAhead => 7,
            SignatureNotYetValid | ClockBehind => 8,
            ExpirationBeforeInception => 25,
            DsNoMatchingKey | DsUnsignedZone | DnskeyMissing | DnskeyUnavailable => 9,
            RrsigsMissing => 10,
            NoZoneKeyBit => 11,
            NsecMissing | Nsec3Gap | Nsec3ParameterMismatch | NsecBitmapHasType => 12,
            SignatureInvalid | WildcardDname | KeySentinel | AlgorithmMissing | ValidationBudget | NotADelegation => 6,
            UnsupportedAlgorithm => 1,
            UnsupportedDigest => 2,
            Nsec3IterationsAboveCap => 27,
            NoReachableAuthority => 22,
            AuthorityError => 23,
            ResolutionBudget | Overloaded | MalformedRecord => 0,
            NegativeTrustAnchor => 33,
        }
    }

    /// A stable identifier for tools to match on (the lab's `cases.tsv` uses the same).
    pub fn id(self) -> &'static str {
        use FailureKind::*;
        match self {
            SignatureExpired => "signature-expired",
            SignatureNotYetValid => "signature-not-yet-valid",
            ClockAhead => "clock-ahead",
            ClockBehind => "clock-behind",
            ExpirationBeforeInception => "signature-expiration-before-inception",
            DsNoMatchingKey => "ds-no-matching-key",
            DsUnsignedZone => "ds-unsigned-zone",
            DnskeyMissing => "dnskey-missing",
            DnskeyUnavailable => "dnskey-unavailable",
            RrsigsMissing => "rrsig-missing",
            NoZoneKeyBit => "no-zone-key-bit",
            NsecMissing => "nsec-missing",
            Nsec3Gap => "nsec3-gap",
            Nsec3ParameterMismatch => "nsec3-parameter-mismatch",
            NsecBitmapHasType => "nsec-bitmap-has-type",
            SignatureInvalid => "signature-invalid",
            WildcardDname => "wildcard-dname",
            KeySentinel => "root-key-sentinel",
            AlgorithmMissing => "algorithm-missing",
            MalformedRecord => "malformed-record",
            NotADelegation => "not-a-delegation",
            UnsupportedAlgorithm => "unsupported-algorithm",
            UnsupportedDigest => "unsupported-digest",
            Nsec3IterationsAboveCap => "nsec3-iterations-above-cap",
            NoReachableAuthority => "no-reachable-authority",
            AuthorityError => "authority-error",
            ValidationBudget => "validation-budget",
            ResolutionBudget => "resolution-budget",
            Overloaded => "overloaded",
            NegativeTrustAnchor => "negative-trust-anchor",
        }
    }

    /// What the operator should check, in a few words.
    pub fn advice(self) -> &'static str {
        use FailureKind::*;
        match self {
            SignatureExpired => "re-sign the zone; the signer has stopped",
            SignatureNotYetValid => "check the signer's clock; signatures are dated in the future",
            ClockAhead => "fix this host's time (NTP)",
            ClockBehind => "fix this host's time (NTP)",
            ExpirationBeforeInception => "the signer wrote a broken validity window; re-sign the zone",
            DsNoMatchingKey => "publish a DS for a current KSK at the registrar, or restore the key",
            DsUnsignedZone => "remove the stale DS at the registrar, or sign the zone at its new provider",
            DnskeyMissing => "publish the signing key in the zone's DNSKEY RRset, or re-sign with a published key",
            DnskeyUnavailable => {
                "the parent has a DS but the zone's servers will not serve its keys; check the zone is loaded and signed on every server"
            }
            RrsigsMissing => "sign the zone completely on every server",
            NoZoneKeyBit => "set the zone-key flag (flags 256 or 257) on the key",
            NsecMissing => "check the zone's NSEC/NSEC3 chain and its NSEC3PARAM on every server",
            Nsec3Gap => "the chain is broken: re-sign the zone",
            Nsec3ParameterMismatch => {
                "records of two NSEC3 chains are served together: re-sign the zone with one chain on every server"
            }
            NsecBitmapHasType => "the denial contradicts itself: re-sign the zone",
            SignatureInvalid => "the data, the signature or the key was changed after signing: re-sign the zone",
            WildcardDname => "a DNAME at a wildcard owner is not used (RFC 6672 §3.3); put the DNAME at a real name",
            KeySentinel => {
                "a deliberate answer to a root key sentinel query (RFC 8509): it reports which root keys this resolver trusts"
            }
            AlgorithmMissing => {
                "harden-algo-downgrade: sign every RRset with every algorithm the DS set lists, or remove that algorithm's DS"
            }
            NotADelegation => {
                "the parent's signed denial shows this name is no delegation (no NS bit): the referral was forged or the server is broken; check the servers that sent it"
            }
            MalformedRecord => {
                "the server sent a record whose data does not fit its type; it was left out, so the RRset's signature fails; fix the record in the zone or the server"
            }
            UnsupportedAlgorithm => {
                "answers are served unvalidated (insecure), as RFC 4035 §5.2 asks; the zone's operator may move to algorithm 13 or 15"
            }
            UnsupportedDigest => "answers are served unvalidated (insecure); publish a DS with digest type 2 (SHA-256)",
            Nsec3IterationsAboveCap => {
                "answers are served unvalidated (insecure); lower the NSEC3 iterations to 0 (RFC 9276)"
            }
            NoReachableAuthority => {
                "check that the zone's servers run, serve the zone authoritatively and answer this resolver"
            }
            AuthorityError => "check that the zone is loaded on every server (see their logs)",
            ValidationBudget => "the answer needs more validation work than allowed (a KeyTrap-style zone?)",
            ResolutionBudget => "resolving needs more work than allowed",
            Overloaded => {
                "too many questions are being resolved at once; the client may retry shortly (raise the in-flight limits if this is normal load)"
            }
            NegativeTrustAnchor => "validation is switched off here by a negative trust anchor",
        }
    }
}

/// One failure: its kind and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What broke.
    pub kind: FailureKind,
    /// The zone where it broke.
    pub zone: Name,
    /// The RRset's owner and type, when one is involved.
    pub rrset: Option<(Name, RType)>,
    /// The key tag and algorithm involved.
    pub key: Option<(u16, Algorithm)>,
    /// The signature window (inception, expiration), when times matter.
    pub window: Option<(u32, u32)>,
    /// The validation time.
    pub now: u64,
    /// The budget that ran out, and its limit.
    pub budget: Option<Box<(BudgetKind, u64)>>,
    /// Where the failing data came from, when known: the upstream
    /// resolver it came through (forwarding), or the authority that
    /// answered last (a verdict on its data).
    pub source: Option<Box<Source>>,
    /// The last server that answered with an error, and its rcode.
    pub answered: Option<Box<(std::net::SocketAddr, candor_wire::Rcode)>>,
    /// The records, keys, hashes and servers involved.
    pub evidence: Vec<Evidence>,
}

impl BudgetKind {
    /// What running out of it is: a validation budget makes the answer
    /// bogus (EDE 6), a resolution budget leaves no answer (EDE 0).
    pub fn failure_kind(self) -> FailureKind {
        match self {
            BudgetKind::Verifications | BudgetKind::Nsec3Hashes => FailureKind::ValidationBudget,
            BudgetKind::InFlight | BudgetKind::InFlightPerClient => FailureKind::Overloaded,
            _ => FailureKind::ResolutionBudget,
        }
    }
}

/// Where failing data came from ([`Failure::source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The upstream resolver it came through (forwarding).
    Upstream(std::net::SocketAddr),
    /// The authority that answered last.
    Authority(std::net::SocketAddr),
}

impl Failure {
    /// The upstream resolver the data came through, when forwarding.
    pub fn upstream(&self) -> Option<std::net::SocketAddr> {
        match self.source.as_deref() {
            Some(Source::Upstream(a)) => Some(*a),
            _ => None,
        }
    }

    /// The server most to blame, when known: the upstream the data came
    /// through, else the server whose data failed validation, else the
    /// last server that answered with an error, else the first server
    /// tried.
    pub fn server(&self) -> Option<std::net::SocketAddr> {
        if let Some(s) = self.source.as_deref() {
            return Some(match *s {
                Source::Upstream(a) | Source::Authority(a) => a,
            });
        }
        if let Some(a) = &self.answered {
            return Some(a.0);
        }
        self.evidence.iter().find_map(|e| match e {
            Evidence::Servers(tried) => tried.first().map(|t| t.addr),
            Evidence::Upstream { server, .. } => Some(*server),
            _ => None,
        })
    }

    /// The budget `kind` (whose limit is `limit`) ran out in `zone` at `now`.
    pub fn exhausted(kind: BudgetKind, limit: u64, zone: Name, now: u64) -> Failure {
        let mut f = Failure::new(kind.failure_kind(), zone, now);
        f.budget = Some(Box::new((kind, limit)));
        f
    }

    /// A failure of `kind` in `zone` at `now`, without further evidence.
    pub fn new(kind: FailureKind, zone: Name, now: u64) -> Failure {
        Failure {
            kind,
            zone,
            rrset: None,
            key: None,
            window: None,
            now,
            budget: None,
            source: None,
            answered: None,
            evidence: Vec::new(),
        }
    }

    /// With the RRset involved.
    pub fn rrset(mut self, owner: &Name, rtype: RType) -> Failure {
        self.rrset = Some((owner.clone(), rtype));
        self
    }

    /// With the key involved.
    pub fn key(mut self, tag: u16, algorithm: Algorithm) -> Failure {
        self.key = Some((tag, algorithm));
        self
    }

    /// With a piece of evidence.
    pub fn with(mut self, e: Evidence) -> Failure {
        self.evidence.push(e);
        self
    }

    /// With `source` as where the DS set of DS evidence came from, where
    /// the evidence does not say yet.
    pub fn ds_source(mut self, source: &DsSource) -> Failure {
        for e in &mut self.evidence {
            if let Evidence::DsKeys { source: s @ None, .. } | Evidence::DsUnsigned { source: s @ None, .. } = e {
                *s = Some(source.clone());
            }
        }
        self
    }

    /// Mark the failure as a cached verdict `age` seconds old, resolved
    /// afresh in `retry`: one such note, whatever an earlier cache hit (a
    /// CNAME link's, kept again with the chain) left.
    pub(crate) fn set_cached(&mut self, age: u32, retry: u32) {
        self.evidence.retain(|e| !matches!(e, Evidence::Cached { .. }));
        self.evidence.push(Evidence::Cached { age, retry });
    }

    /// Note a server asked and what it did (in the servers' evidence,
    /// made when there is none yet).
    pub(crate) fn add_server(&mut self, t: crate::evidence::ServerTry) {
        for e in &mut self.evidence {
            if let Evidence::Servers(list) = e {
                crate::evidence::add_server(list, t);
                return;
            }
        }
        self.evidence.push(Evidence::Servers(vec![t]));
    }

    /// With the signature window.
    pub fn window(mut self, inception: u32, expiration: u32) -> Failure {
        self.window = Some((inception, expiration));
        self
    }

    /// The EDE info-code and extra-text: the broken link in operator words.
    pub fn ede(&self) -> (u16, String) {
        (self.kind.ede_code(), self.text())
    }

    /// The extra-text: what broke, as a sentence, then the evidence, then
    /// what to do.
    pub fn text(&self) -> String {
        let mut t = self.account();
        if self.upstream().is_none() {
            let _ = write!(t, "; {}", self.advice());
        }
        t
    }

    /// Every EDE the failure gives a client (RFC 8914 allows several),
    /// most important first: its own code and text; for a bogus verdict
    /// with a specific DNSSEC code, the general 6 (DNSSEC Bogus) beside
    /// it; one per server that failed when several were asked, or when
    /// the failure is not itself about reaching the zone; 13 (Cached
    /// Error) with the verdict's age when it came from the cache.
    /// `bogus` says whether the verdict is bogus (not a plain SERVFAIL
    /// or an insecure answer's note).
    pub fn edes(&self, bogus: bool) -> Vec<(u16, String)> {
        let (code, text) = self.ede();
        let mut v = vec![(code, text)];
        if bogus && code != 6 && matches!(code, 7..=12 | 25) {
            v.push((6, format!("DNSSEC validation failed in {}: see EDE {code}", self.zone)));
        }
        for e in &self.evidence {
            match e {
                Evidence::Servers(tried) if tried.len() > 1 || !self.kind.is_unanswered() => {
                    for t in tried.iter().take(crate::evidence::LIST_CAP) {
                        let code = match t.outcome {
                            Outcome::Rcode(r) if r != candor_wire::Rcode::REFUSED => 23,
                            Outcome::Broken => 23,
                            _ => 22,
                        };
                        let who = t.ns.as_ref().map_or_else(|| t.addr.to_string(), |ns| format!("{ns} at {}", t.addr));
                        v.push((code, format!("{who} (a server of {}): {}", self.zone, t.outcome)));
                    }
                }
                Evidence::Cached { .. } => {
                    v.push((EDE_CACHED_ERROR, Written { evidence: e, zone: &self.zone }.to_string()))
                }
                // An upstream's own codes, attributed; DNSSEC verdicts are
                // candor's own, never an upstream's.
                Evidence::Upstream { server, edes, .. } => {
                    for (code, text) in edes.iter().filter(|(c, _)| !matches!(c, 1..=12 | 25..=27)) {
                        v.push((*code, format!("via {server}: {text}")));
                    }
                }
                _ => {}
            }
        }
        v
    }

    /// What to do about it: the kind's advice, or one the evidence makes
    /// precise (the key to publish a DS for).
    pub fn advice(&self) -> String {
        if self.kind.is_unanswered() && self.evidence.iter().any(|e| matches!(e, Evidence::Upstream { .. })) {
            return "the upstream resolver failed for reasons of its own (its EDE says which); ask its operator, or resolve directly".to_owned();
        }
        self.evidence.iter().find_map(ds_advice).unwrap_or_else(|| self.kind.advice().to_owned())
    }

    /// Each piece of evidence written out, one clause each.
    pub fn evidence_lines(&self) -> Vec<String> {
        self.evidence.iter().map(|e| Written { evidence: e, zone: &self.zone }.to_string()).collect()
    }

    /// The upstream resolver whose own failure this is, if any.
    pub fn upstream_failure(&self) -> Option<std::net::SocketAddr> {
        self.evidence.iter().find_map(|e| match e {
            Evidence::Upstream { server, .. } => Some(*server),
            _ => None,
        })
    }

    /// What broke and the evidence, without the advice.
    pub fn account(&self) -> String {
        let mut t = String::new();
        self.head(&mut t);
        for e in &self.evidence {
            // Each clause once: the RRSIG is already in the head; the
            // cache's age has its own EDE.
            if matches!(e, Evidence::Rrsig(_)) && self.window.is_some() || matches!(e, Evidence::Cached { .. }) {
                continue;
            }
            let _ = write!(t, "; {}", Written { evidence: e, zone: &self.zone });
        }
        if let Some(&(name, limit)) = self.budget.as_deref() {
            // `name` is a BudgetKind: its Display is the operator's word for it.
            let _ = write!(t, "; budget {name} (limit {limit}) exhausted");
        }
        let servers_listed = self.evidence.iter().any(|e| matches!(e, Evidence::Servers(_)));
        if let Some((server, rcode)) = self.answered.as_deref().filter(|_| !servers_listed) {
            let _ = write!(t, "; {server} answered {rcode}");
        }
        if let Some(up) = self.upstream() {
            let _ = write!(
                t,
                "; the upstream resolver {up} is not DNSSEC-aware (it strips RRSIGs); forward to one that is, or resolve directly"
            );
        }
        t
    }

    /// The first clause: the RRset (or zone) and what is wrong with it.
    fn head(&self, t: &mut String) {
        use FailureKind::*;
        let subject = match &self.rrset {
            Some((owner, rtype)) => format!("{owner}/{rtype}"),
            None => self.zone.to_string(),
        };
        let zone = &self.zone;
        let key = self.key.map(|(tag, alg)| format!("{tag}/{}", alg.0));
        let key = key.as_deref().unwrap_or("?");
        let sig = self.evidence.iter().find_map(|e| match e {
            Evidence::Rrsig(s) => Some(s.to_string()),
            _ => None,
        });
        let sig = sig.unwrap_or_else(|| format!("{key} by {zone}"));
        let now = self.now as u32;
        let _ = match (self.kind, self.window) {
            (SignatureExpired, Some((_, exp))) => write!(
                t,
                "{subject}: RRSIG {sig} expired {} ({} ago); the clock here reads {}",
                iso(exp),
                ago(now.wrapping_sub(exp)),
                iso(now)
            ),
            (SignatureNotYetValid, Some((inc, _))) => write!(
                t,
                "{subject}: RRSIG {sig} is not valid before {} (in {}); the clock here reads {}",
                iso(inc),
                ago(inc.wrapping_sub(now)),
                iso(now)
            ),
            // The root is re-signed long before its signatures expire: when
            // they look expired (or not yet valid), the clock is the suspect.
            (ClockAhead, Some((_, exp))) => write!(
                t,
                "{subject}: RRSIG {sig} expired {}; the local clock ({}) is at least {} ahead",
                iso(exp),
                iso(now),
                ago(now.wrapping_sub(exp))
            ),
            (ClockBehind, Some((inc, _))) => write!(
                t,
                "{subject}: RRSIG {sig} is not valid before {}; the local clock ({}) is at least {} behind",
                iso(inc),
                iso(now),
                ago(inc.wrapping_sub(now))
            ),
            (ExpirationBeforeInception, Some((inc, exp))) => {
                write!(t, "{subject}: RRSIG {sig} expires {} before its inception {}", iso(exp), iso(inc))
            }
            (SignatureInvalid, _) => write!(t, "{subject}: RRSIG {sig} does not verify with key {key}"),
            (DsNoMatchingKey, _) => write!(t, "{zone}: no DNSKEY matches the DS"),
            (DsUnsignedZone, _) => write!(t, "{zone}: the parent vouches for keys the zone does not serve"),
            (DnskeyMissing, _) if self.key.is_some() => {
                write!(t, "{subject}: signed by key {key}, which {zone}'s DNSKEY RRset does not hold")
            }
            (DnskeyMissing, _) => write!(t, "{subject}: {zone} serves no DNSKEY RRset"),
            (DnskeyUnavailable, _) => {
                write!(t, "{zone}: the parent has a DS but the zone's servers answer the DNSKEY query with an error")
            }
            (RrsigsMissing, _) if self.key.is_some() => {
                write!(t, "{subject}: no RRSIG by key {key}, the key the DS vouches for")
            }
            (RrsigsMissing, _) => write!(t, "{subject}: no RRSIG by {zone}, which is signed"),
            (NoZoneKeyBit, _) => write!(t, "{subject}: key {key} lacks the zone-key flag"),
            (NsecMissing, _) => write!(t, "{subject}: the denial of existence is not proven"),
            (Nsec3Gap, _) => write!(t, "{subject}: the NSEC3 records received do not cover the name"),
            (Nsec3ParameterMismatch, _) => {
                write!(t, "{subject}: NSEC3 records of one proof disagree on salt or iterations")
            }
            (NsecBitmapHasType, _) => write!(t, "{subject}: the denial's type bitmap lists the type it denies"),
            (WildcardDname, _) => write!(t, "{subject}: a DNAME signed as a wildcard expansion"),
            (KeySentinel, _) => write!(t, "{subject}: root key sentinel"),
            (AlgorithmMissing, _) => {
                write!(
                    t,
                    "{subject}: no valid RRSIG of algorithm {} (named by DS or anchor key {})",
                    key_alg(self.key),
                    key_tag_of(self.key)
                )
            }
            (NotADelegation, _) => write!(t, "{subject}: the parent's signed denial shows no delegation here"),
            (MalformedRecord, _) => write!(t, "{subject}: a record's data does not fit its type"),
            (UnsupportedAlgorithm, _) => write!(t, "{zone}: signed only with unsupported algorithms (key {key})"),
            (UnsupportedDigest, _) => write!(t, "{zone}: the DS uses only unsupported digest types (key {key})"),
            (Nsec3IterationsAboveCap, _) => write!(t, "{zone}: denial of existence not validated"),
            (NoReachableAuthority | AuthorityError, _)
                if self.evidence.iter().any(|e| matches!(e, Evidence::Upstream { .. })) =>
            {
                write!(t, "{subject}: the upstream resolvers for {zone} gave no answer")
            }
            (NoReachableAuthority, _) => write!(t, "{zone}: no server of the zone gave a usable answer"),
            (AuthorityError, _) => write!(t, "{zone}: the zone's servers answered with errors"),
            (ValidationBudget | ResolutionBudget, _) => write!(t, "{subject}: too much work"),
            (Overloaded, _) => write!(t, "{subject}: not resolved"),
            (NegativeTrustAnchor, _) => write!(t, "{subject}: not validated"),
            (SignatureExpired | SignatureNotYetValid | ClockAhead | ClockBehind | ExpirationBeforeInception, None) => {
                write!(t, "{subject}: RRSIG {sig} outside its validity window")
            }
        };
    }
}

fn key_alg(key: Option<(u16, Algorithm)>) -> String {
    key.map_or_else(|| "?".to_owned(), |(_, a)| a.0.to_string())
}

fn key_tag_of(key: Option<(u16, Algorithm)>) -> String {
    key.map_or_else(|| "?".to_owned(), |(t, _)| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_text_names_the_broken_link() {
        let now = candor_wire::parse_timestamp("20260416120000").unwrap() as u64;
        let exp = candor_wire::parse_timestamp("20260301120000").unwrap() as u32;
        let zone: Name = "solvethenetwork.com.".parse().unwrap();
        let f = Failure::new(FailureKind::SignatureExpired, zone.clone(), now)
            .rrset(&zone, RType::A)
            .key(12345, Algorithm::ECDSAP256SHA256)
            .window(exp - 86_400 * 30, exp);
        assert_eq!(
            f.ede(),
            (
                7,
                "solvethenetwork.com./A: RRSIG 12345/13 by solvethenetwork.com. expired 2026-03-01T12:00:00Z \
                 (46 days ago); the clock here reads 2026-04-16T12:00:00Z; re-sign the zone; the signer has stopped"
                    .to_owned()
            )
        );
        // With the RRSIG itself as evidence, its signer, labels and window are named.
        let sig = candor_wire::Rrsig {
            type_covered: RType::A,
            algorithm: Algorithm::ECDSAP256SHA256,
            labels: 2,
            original_ttl: 300,
            expiration: exp,
            inception: exp - 86_400 * 30,
            key_tag: 12345,
            signer: zone.clone(),
            signature: vec![],
        };
        let text = f.with(Evidence::Rrsig(crate::evidence::SigRef::from(&sig))).text();
        assert!(text.contains("RRSIG 12345/13 by solvethenetwork.com. (labels 2, valid 2026-01-30T12:00:00Z to 2026-03-01T12:00:00Z) expired"), "{text}");
        let f = Failure::new(FailureKind::DsNoMatchingKey, "example.".parse().unwrap(), now).key(20326, Algorithm(8));
        assert_eq!(f.ede().0, 9);
        assert_eq!(
            f.text(),
            "example.: no DNSKEY matches the DS; publish a DS for a current KSK at the registrar, or restore the key"
        );
    }

    #[test]
    fn a_failure_gives_every_ede_that_applies_most_important_first() {
        use crate::evidence::{Outcome, ServerTry};
        let zone: Name = "example.".parse().unwrap();
        let codes = |f: &Failure, bogus| f.edes(bogus).into_iter().map(|(c, _)| c).collect::<Vec<u16>>();
        // A specific DNSSEC code, the general one beside it, the cache's age.
        let f =
            Failure::new(FailureKind::SignatureExpired, zone.clone(), 0).with(Evidence::Cached { age: 12, retry: 48 });
        assert_eq!(codes(&f, true), [7, 6, 13]);
        assert_eq!(f.edes(true)[2].1, "a cached verdict, 12 s old; resolved afresh in 48 s");
        assert!(!f.text().contains("cached"), "the age has its own EDE: {}", f.text());
        // Not bogus (a plain SERVFAIL): no EDE 6.
        assert_eq!(codes(&Failure::new(FailureKind::SignatureExpired, zone.clone(), 0), false), [7]);
        // Several servers: one EDE each, 23 for an error, 22 for silence.
        let server = |last: u8, outcome| ServerTry {
            addr: std::net::SocketAddr::from(([192, 0, 2, last], 53)),
            ns: (last == 2).then(|| "ns2.example.".parse().unwrap()),
            outcome,
        };
        let f = Failure::new(FailureKind::AuthorityError, zone.clone(), 0).with(Evidence::Servers(vec![
            server(1, Outcome::Timeouts(2)),
            server(2, Outcome::Rcode(candor_wire::Rcode::SERVFAIL)),
        ]));
        assert_eq!(codes(&f, false), [23, 22, 23]);
        let edes = f.edes(false);
        assert_eq!(edes[1].1, "192.0.2.1:53 (a server of example.): timed out 2 times");
        assert_eq!(edes[2].1, "ns2.example. at 192.0.2.2:53 (a server of example.): SERVFAIL");
        // One server that did not answer: its own failure says it all.
        let f = Failure::new(FailureKind::NoReachableAuthority, zone.clone(), 0)
            .with(Evidence::Servers(vec![server(1, Outcome::Timeouts(1))]));
        assert_eq!(codes(&f, false), [22]);
        // An upstream's codes are passed on attributed, its DNSSEC ones not.
        let up = std::net::SocketAddr::from(([192, 0, 2, 9], 53));
        let f = Failure::new(FailureKind::AuthorityError, zone, 0).with(Evidence::Upstream {
            server: up,
            rcode: candor_wire::Rcode::SERVFAIL,
            edes: vec![(7, "expired".to_owned()), (22, "lame".to_owned())],
        });
        assert_eq!(f.edes(false).last().cloned(), Some((22, "via 192.0.2.9:53: lame".to_owned())));
        assert_eq!(codes(&f, false), [23, 22]);
    }

    #[test]
    fn every_kind_has_its_code() {
        use FailureKind::*;
        let table = [
            (SignatureExpired, 7),
            (SignatureNotYetValid, 8),
            (ExpirationBeforeInception, 25),
            (DsNoMatchingKey, 9),
            (RrsigsMissing, 10),
            (NoZoneKeyBit, 11),
            (NsecMissing, 12),
            (SignatureInvalid, 6),
            (UnsupportedAlgorithm, 1),
            (UnsupportedDigest, 2),
            (Nsec3IterationsAboveCap, 27),
            (NoReachableAuthority, 22),
            (AuthorityError, 23),
            (ValidationBudget, 6),
            (ResolutionBudget, 0),
            (Overloaded, 0),
            (MalformedRecord, 0),
            (NotADelegation, 6),
        ];
        for (k, code) in table {
            assert_eq!(k.ede_code(), code, "{k:?}");
        }
    }
}
