//! Evidence: the records, keys, hashes and servers a [`Failure`] involves,
//! kept as values and written out as the clauses of its extra-text, so an
//! operator who has never seen the zone can act on the text alone.
//!
//! [`Failure`]: crate::Failure

use std::fmt;
use std::net::SocketAddr;

use candor_crypto::key_tag;
use candor_wire::text::base32hex_encode;
use candor_wire::{Algorithm, Dnskey, Ds, Name, Rcode, Rrsig};

/// A duration in the largest whole unit.
pub(crate) fn ago(secs: u32) -> String {
    crate::time_text::span(i64::from(secs))
}

pub(crate) use crate::time_text::iso;

/// At most this many items of one list are written out; the rest are
/// counted ("and 3 more").
pub(crate) const LIST_CAP: usize = 4;

/// Keys kept of a DNSKEY RRset (a DS is matched against them; the text
/// names [`LIST_CAP`]).
pub(crate) const KEYS_KEPT: usize = 16;

/// A list kept short: the first few items and how many there were (a
/// hostile response may carry hundreds; a failure stays small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    /// The first items.
    pub items: Vec<T>,
    /// How many there were in all.
    pub total: usize,
}

impl<T> Listed<T> {
    /// The first `keep` of `all`, and their number.
    pub(crate) fn of(all: impl IntoIterator<Item = T>, keep: usize) -> Listed<T> {
        let mut items = Vec::new();
        let mut total = 0;
        for x in all {
            total += 1;
            if items.len() < keep {
                items.push(x);
            }
        }
        Listed { items, total }
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The items kept.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
}

/// A DS record, by what names it: tag, algorithm, digest type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DsRef {
    /// The key tag it names.
    pub tag: u16,
    /// The key algorithm it names.
    pub algorithm: Algorithm,
    /// Its digest type.
    pub digest_type: u8,
}

impl From<&Ds> for DsRef {
    fn from(d: &Ds) -> DsRef {
        DsRef { tag: d.key_tag, algorithm: d.algorithm, digest_type: d.digest_type }
    }
}

impl fmt::Display for DsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.tag, self.algorithm.0, digest_name(self.digest_type))
    }
}

/// A digest type's name (RFC 4034, 4509, 6605).
fn digest_name(t: u8) -> String {
    match t {
        1 => "SHA-1".to_owned(),
        2 => "SHA-256".to_owned(),
        3 => "GOST".to_owned(),
        4 => "SHA-384".to_owned(),
        n => format!("digest-{n}"),
    }
}

/// A DNSKEY, by what an operator looks it up by: tag, algorithm, flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Its key tag as published.
    pub tag: u16,
    /// Its tag with the REVOKE bit cleared: the tag a DS made before the
    /// revocation names (RFC 5011 §3: revoking changes the tag).
    pub unrevoked_tag: u16,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Its flags.
    pub flags: u16,
}

impl From<&Dnskey> for KeyRef {
    fn from(k: &Dnskey) -> KeyRef {
        let unrevoked_tag = if k.is_revoked() {
            key_tag(&Dnskey { flags: k.flags & !Dnskey::REVOKE, ..k.clone() })
        } else {
            key_tag(k)
        };
        KeyRef { tag: key_tag(k), unrevoked_tag, algorithm: k.algorithm, flags: k.flags }
    }
}

impl KeyRef {
    fn revoked(&self) -> bool {
        self.flags & Dnskey::REVOKE != 0
    }

    /// A key the parent's DS could name: a zone key, not revoked, SEP set.
    pub fn is_current_ksk(&self) -> bool {
        self.flags & Dnskey::ZONE != 0 && self.flags & Dnskey::SEP != 0 && !self.revoked()
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tag, self.algorithm.0)?;
        let role = match (self.flags & Dnskey::ZONE != 0, self.flags & Dnskey::SEP != 0) {
            (true, true) => "KSK",
            (true, false) => "ZSK",
            (false, _) => "without the zone-key flag",
        };
        write!(f, " {role}")?;
        if self.revoked() {
            write!(f, " REVOKED (was {})", self.unrevoked_tag)?;
        }
        if self.flags & !(Dnskey::ZONE | Dnskey::SEP | Dnskey::REVOKE) != 0 || self.flags & Dnskey::ZONE == 0 {
            write!(f, " (flags {})", self.flags)?;
        }
        Ok(())
    }
}

/// How a DS fails to name a key of the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsMismatch {
    /// No key has the DS's tag (with REVOKE cleared).
    NoKey,
    /// A key has its tag and algorithm, but not its digest.
    Digest,
    /// The key it names is published with the REVOKE bit.
    Revoked,
    /// A key has its tag, but another algorithm.
    Algorithm(Algorithm),
}

/// Where a zone's DS set came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsSource {
    /// The parent zone, named.
    Parent(Name),
    /// A configured trust anchor.
    Anchor,
}

impl fmt::Display for DsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DsSource::Parent(p) => write!(f, "in {p}"),
            DsSource::Anchor => f.write_str("of the trust anchor"),
        }
    }
}

/// An RRSIG, by what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigRef {
    /// The key tag it names.
    pub tag: u16,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Its signer.
    pub signer: Name,
    /// Its labels field.
    pub labels: u8,
    /// Its inception.
    pub inception: u32,
    /// Its expiration.
    pub expiration: u32,
}

impl From<&Rrsig> for SigRef {
    fn from(s: &Rrsig) -> SigRef {
        SigRef {
            tag: s.key_tag,
            algorithm: s.algorithm,
            signer: s.signer.clone(),
            labels: s.labels,
            inception: s.inception,
            expiration: s.expiration,
        }
    }
}

impl fmt::Display for SigRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} by {} (labels {}, valid {} to {})",
            self.tag,
            self.algorithm.0,
            self.signer,
            self.labels,
            iso(self.inception),
            iso(self.expiration)
        )
    }
}

/// What one server did when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No reply in time, this many times.
    Timeouts(u8),
    /// No route or connection refused.
    Unreachable,
    /// It answered with this rcode and nothing usable.
    Rcode(Rcode),
    /// It answered without authority and without a referral down (lame).
    Lame,
    /// It referred up or sideways, to this zone (lame).
    LameReferral(Name),
    /// A reply that did not parse or was truncated over TCP.
    Broken,
    /// An empty or non-authoritative answer, kept in case no server gives
    /// a better one.
    Weak,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Timeouts(1) => f.write_str("timed out"),
            Outcome::Timeouts(n) => write!(f, "timed out {n} times"),
            Outcome::Unreachable => f.write_str("unreachable"),
            Outcome::Rcode(r) => write!(f, "{r}"),
            Outcome::Lame => f.write_str("lame (no authoritative answer, no referral down)"),
            Outcome::LameReferral(to) => write!(f, "lame (a referral to {to}, not down)"),
            Outcome::Broken => f.write_str("a broken reply"),
            Outcome::Weak => f.write_str("an empty or non-authoritative answer"),
        }
    }
}

/// A server asked, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTry {
    /// Its address.
    pub addr: SocketAddr,
    /// Its name, when a referral or look-up gave one.
    pub ns: Option<Name>,
    /// What it did.
    pub outcome: Outcome,
}

/// A piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Evidence {
    /// The DS set of a zone and the keys it serves, each DS with how it
    /// fails to name one.
    DsKeys {
        /// Where the DS set came from (unknown until the chain fills it in).
        source: Option<DsSource>,
        /// Each DS with its mismatch.
        ds: Vec<(DsRef, DsMismatch)>,
        /// The keys the child serves.
        keys: Listed<KeyRef>,
    },
    /// The parent's DS set for a child that serves no DNSKEY at all.
    DsUnsigned {
        /// Where the DS set came from.
        source: Option<DsSource>,
        /// The DS records.
        ds: Vec<DsRef>,
    },
    /// The keys a zone serves (when a key is missing or flagged wrong).
    Keys(Listed<KeyRef>),
    /// The RRSIG involved.
    Rrsig(SigRef),
    /// The denial proof's own account of what it lacks.
    Denial(String),
    /// The NSEC3 records received: the hashed name, the ranges, the
    /// parameters of each distinct chain.
    Nsec3 {
        /// A name the proof needed, and its hash in base32hex.
        hashed: Option<(Name, String)>,
        /// Owner hash → next hash, in base32hex.
        ranges: Listed<(String, String)>,
        /// Each distinct (iterations, salt in hex) among them.
        params: Listed<(u16, String)>,
    },
    /// The NSEC records received: owner → next.
    Nsec(Listed<(Name, Name)>),
    /// Servers asked and their outcomes, in the order asked (the text
    /// names the first few and counts the rest).
    Servers(Vec<ServerTry>),
    /// The verdict comes from the cache: how old it is and when the
    /// question will be resolved again, in seconds. Said in its own EDE
    /// (13, Cached Error), not in the failure's text.
    Cached {
        /// Seconds since the verdict was reached.
        age: u32,
        /// Seconds until it is resolved afresh.
        retry: u32,
    },
    /// An upstream resolver's own EDEs, with its answer's rcode (the
    /// texts made safe: printable, capped; they are the upstream's words).
    Upstream {
        /// The upstream.
        server: SocketAddr,
        /// Its rcode.
        rcode: Rcode,
        /// Its EDE codes and texts.
        edes: Vec<(u16, String)>,
    },
    /// Several unrelated zones' signatures failed their windows the same
    /// way of late, and the root's window allows it: the local clock is
    /// the likely cause.
    ClockSuspect(crate::skew::Suspicion),
    /// Server addresses the outbound policy refused to query
    /// (special-purpose or not allowed).
    NeverQueried(Listed<std::net::IpAddr>),
    /// The validator's limits cut an RRset's signatures short: how many
    /// RRSIGs came, how many keys share the first one's tag (tag, count),
    /// how many failed their cryptographic check, and the limit on those.
    Effort {
        /// RRSIGs over the RRset by its zone.
        sigs: usize,
        /// RRSIGs tried (and kept on receipt) per RRset at most.
        per_rrset: usize,
        /// The first RRSIG's key tag and how many keys carry it.
        same_tag: Option<(u16, usize)>,
        /// Signatures that failed their check.
        failed: u32,
        /// Failed signatures allowed per RRset.
        limit: u32,
    },
    /// A CNAME chain past its limit: the names it went through (the first
    /// few, and how many) and the last one reached.
    Chain {
        /// The names, the question first.
        names: Listed<Name>,
        /// Where the chain went on when the limit stopped it.
        last: Name,
    },
    /// The CNAME/DNAME link that led into the failing zone.
    Via {
        /// The owner of the link.
        from: Name,
        /// Its target.
        to: Name,
    },
}

/// Add `t` to a list of servers asked: a server already there that timed
/// out again counts one more time-out; otherwise the latest outcome stands.
pub(crate) fn add_server(list: &mut Vec<ServerTry>, t: ServerTry) {
    match list.iter_mut().find(|x| x.addr == t.addr) {
        Some(x) => {
            x.outcome = match (&x.outcome, &t.outcome) {
                (Outcome::Timeouts(a), Outcome::Timeouts(b)) => Outcome::Timeouts(a.saturating_add(*b)),
                _ => t.outcome,
            }
        }
        None => list.push(t),
    }
}

/// Name the servers of `list` that have no name yet, by `name_of`.
pub(crate) fn name_servers(list: &mut [ServerTry], name_of: impl Fn(std::net::IpAddr) -> Option<Name>) {
    for t in list.iter_mut().filter(|t| t.ns.is_none()) {
        t.ns = name_of(t.addr.ip());
    }
}

/// Longest upstream extra-text kept, in octets.
pub(crate) const UPSTREAM_TEXT_MAX: usize = 256;

/// An upstream's extra-text made safe to repeat: control and other
/// non-printable characters replaced, cut to [`UPSTREAM_TEXT_MAX`] octets
/// (an attacker may write it).
pub(crate) fn safe_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(UPSTREAM_TEXT_MAX));
    for c in text.chars() {
        let c = if c.is_control() || c == '\u{FFFD}' || (c as u32) >= 0xE000 && (c as u32) < 0xF900 { '?' } else { c };
        if out.len() + c.len_utf8() > UPSTREAM_TEXT_MAX {
            out.push_str("...");
            break;
        }
        out.push(c);
    }
    out
}

/// The NSEC3 evidence of a section: its ranges and parameters; `hashed`
/// names the name the proof needed with its hash.
pub(crate) fn nsec3_evidence(records: &[candor_wire::Record], hashed: Option<(Name, String)>) -> Option<Evidence> {
    let nsec3 = || {
        records.iter().filter_map(|r| match &r.data {
            candor_wire::RData::Nsec3(n) => Some((r, n)),
            _ => None,
        })
    };
    let ranges = Listed::of(
        nsec3().map(|(r, n)| {
            let owner = r.owner.labels().next().map(|l| String::from_utf8_lossy(l).to_ascii_uppercase());
            (owner.unwrap_or_default(), base32hex_encode(&n.next_hashed))
        }),
        LIST_CAP,
    );
    let mut distinct: Vec<(u16, &[u8])> = Vec::new();
    for (_, n) in nsec3() {
        if !distinct.contains(&(n.iterations, &n.salt[..])) {
            distinct.push((n.iterations, &n.salt));
        }
    }
    let params = Listed::of(distinct.into_iter().map(|(i, salt)| (i, salt_hex(salt))), LIST_CAP);
    (!ranges.is_empty() || hashed.is_some()).then_some(Evidence::Nsec3 { hashed, ranges, params })
}

/// The NSEC evidence of a section.
pub(crate) fn nsec_evidence(records: &[candor_wire::Record]) -> Option<Evidence> {
    let ranges = Listed::of(
        records.iter().filter_map(|r| match &r.data {
            candor_wire::RData::Nsec(n) => Some((r.owner.clone(), n.next.clone())),
            _ => None,
        }),
        LIST_CAP,
    );
    (!ranges.is_empty()).then_some(Evidence::Nsec(ranges))
}

/// A salt as written in zone files: hex, or `-` when empty.
pub(crate) fn salt_hex(salt: &[u8]) -> String {
    if salt.is_empty() { "-".to_owned() } else { candor_wire::text::hex_encode(salt).to_ascii_uppercase() }
}

/// Write `items` joined by ", ", at most [`LIST_CAP`], then "and N more"
/// counting up to `total`.
fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = T>, total: usize) -> fmt::Result {
    let mut shown = 0;
    for (i, item) in items.take(LIST_CAP).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
        shown += 1;
    }
    if total > shown {
        write!(f, " and {} more", total - shown)?;
    }
    Ok(())
}

/// Evidence written out for a zone: `zone` is the failing zone.
pub(crate) struct Written<'a> {
    /// The evidence.
    pub evidence: &'a Evidence,
    /// The zone it is about.
    pub zone: &'a Name,
}

impl fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zone = self.zone;
        match self.evidence {
            Evidence::DsKeys { source, ds, keys } => {
                let source = source.as_ref().map_or_else(|| "at the parent".to_owned(), ToString::to_string);
                for (i, (d, m)) in ds.iter().take(LIST_CAP).enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    let key = keys.iter().find(|k| k.unrevoked_tag == d.tag || k.tag == d.tag);
                    match (m, key) {
                        (DsMismatch::Digest, Some(k)) => write!(
                            f,
                            "DS {d} {source} has the tag and algorithm of {zone}'s key {}/{} but not its digest",
                            k.tag, k.algorithm.0
                        )?,
                        (DsMismatch::Revoked, Some(k)) => write!(
                            f,
                            "DS {d} {source} names {zone}'s key {}/{}, which is published revoked (REVOKE bit set, its tag is now {})",
                            k.unrevoked_tag, k.algorithm.0, k.tag
                        )?,
                        (DsMismatch::Algorithm(a), _) => write!(
                            f,
                            "DS {d} {source} says algorithm {} but {zone}'s key {} is algorithm {}",
                            d.algorithm.0, d.tag, a.0
                        )?,
                        _ => write!(f, "DS {d} {source} names no key of {zone}")?,
                    }
                }
                if ds.len() > LIST_CAP {
                    write!(f, " (and {} more DS)", ds.len() - LIST_CAP)?;
                }
                if keys.is_empty() {
                    write!(f, "; {zone} serves no DNSKEY")
                } else {
                    write!(f, "; {zone} serves ")?;
                    list(f, keys.iter(), keys.total)
                }
            }
            Evidence::DsUnsigned { source, ds } => {
                let source = source.as_ref().map_or_else(
                    || "the parent".to_owned(),
                    |s| match s {
                        DsSource::Parent(p) => p.to_string(),
                        DsSource::Anchor => "the trust anchor".to_owned(),
                    },
                );
                write!(f, "{source} has DS ")?;
                list(f, ds.iter(), ds.len())?;
                write!(f, " for {zone}, but {zone} serves no DNSKEY and no signatures: it is unsigned")
            }
            Evidence::Keys(keys) if keys.is_empty() => write!(f, "{zone} serves no DNSKEY"),
            Evidence::Keys(keys) => {
                write!(f, "{zone} serves ")?;
                list(f, keys.iter(), keys.total)
            }
            Evidence::Rrsig(s) => write!(f, "RRSIG {s}"),
            Evidence::Denial(text) => f.write_str(text),
            Evidence::Nsec3 { hashed, ranges, params } => {
                if let Some((name, hash)) = hashed {
                    write!(f, "hash {hash} of {name}; ")?;
                }
                if ranges.is_empty() {
                    return f.write_str("no NSEC3 received");
                }
                f.write_str("NSEC3 received ")?;
                list(f, ranges.iter().map(|(a, b)| format!("{a} -> {b}")), ranges.total)?;
                if !params.is_empty() {
                    f.write_str(if params.total > 1 { " with differing parameters " } else { " with " })?;
                    list(f, params.iter().map(|(i, s)| format!("iterations {i} salt {s}")), params.total)?;
                }
                Ok(())
            }
            Evidence::Nsec(ranges) => {
                f.write_str("NSEC received ")?;
                list(f, ranges.iter().map(|(a, b)| format!("{a} -> {b}")), ranges.total)
            }
            Evidence::Servers(tried) => {
                f.write_str("servers asked: ")?;
                list(
                    f,
                    tried.iter().map(|t| match &t.ns {
                        Some(ns) => format!("{ns} at {} {}", t.addr, t.outcome),
                        None => format!("{} {}", t.addr, t.outcome),
                    }),
                    tried.len(),
                )
            }
            Evidence::Cached { age, retry } => {
                write!(f, "a cached verdict, {age} s old; resolved afresh in {retry} s")
            }
            Evidence::Upstream { server, rcode, edes } => {
                write!(f, "the upstream resolver {server} answered {rcode}")?;
                for (code, text) in edes.iter().take(LIST_CAP) {
                    write!(f, ", EDE {code}: {text}")?;
                }
                Ok(())
            }
            Evidence::ClockSuspect(s) => {
                let (how, way) = match s.direction {
                    crate::skew::Direction::Ahead => ("expired", "ahead"),
                    crate::skew::Direction::Behind => ("not yet valid", "behind"),
                };
                write!(
                    f,
                    "signatures of {} unrelated zones looked {how} within {} minutes and the root's own window allows it: \
                     the local clock is likely at least {} {way}; check this host's time (NTP) before the zones",
                    s.zones,
                    crate::skew::WINDOW_SECS / 60,
                    ago(s.by.min(u64::from(u32::MAX)) as u32)
                )
            }
            Evidence::NeverQueried(addrs) => {
                f.write_str("never queried: ")?;
                list(f, addrs.iter(), addrs.total)?;
                f.write_str(" (special-purpose or not allowed)")
            }
            Evidence::Effort { sigs, per_rrset, same_tag, failed, limit } => {
                // Past the number tried, the rest were left out on receipt.
                let more = if sigs >= per_rrset { " or more" } else { "" };
                write!(f, "{sigs}{more} RRSIGs came with it")?;
                if let Some((tag, n)) = same_tag {
                    write!(f, ", {n} keys share tag {tag}")?;
                }
                write!(f, "; {failed} failed their check")?;
                if failed >= limit {
                    write!(f, " and the rest were not tried (limit {limit} failed per RRset)")?;
                }
                Ok(())
            }
            Evidence::Chain { names, last } => {
                f.write_str("the chain went ")?;
                for (i, n) in names.iter().enumerate() {
                    write!(f, "{}{n}", if i == 0 { "" } else { " -> " })?;
                }
                if names.total > names.items.len() {
                    write!(f, " -> ... ({} names in all)", names.total)?;
                }
                write!(f, " and on to {last}")
            }
            Evidence::Via { from, to } => write!(f, "reached through the CNAME {from} -> {to}"),
        }
    }
}

/// The evidence of a DS set that vouches for no key of `keys`: each
/// usable DS with how it misses.
pub(crate) fn ds_mismatches(ds: &[&Ds], keys: &[&Dnskey]) -> Evidence {
    let all: Vec<KeyRef> = keys.iter().map(|k| KeyRef::from(*k)).collect();
    let ds: Vec<(DsRef, DsMismatch)> = ds
        .iter()
        .map(|d| {
            let same_tag: Vec<&KeyRef> = all.iter().filter(|k| k.unrevoked_tag == d.key_tag).collect();
            let m = match same_tag.iter().find(|k| k.algorithm == d.algorithm) {
                Some(k) if k.revoked() => DsMismatch::Revoked,
                Some(_) => DsMismatch::Digest,
                None => same_tag.first().map_or(DsMismatch::NoKey, |k| DsMismatch::Algorithm(k.algorithm)),
            };
            (DsRef::from(*d), m)
        })
        .collect();
    // The keys a DS names first, then the others, so the text finds them.
    let named = |k: &KeyRef| ds.iter().any(|(d, _): &(DsRef, DsMismatch)| d.tag == k.unrevoked_tag);
    let (mut keep, others): (Vec<KeyRef>, Vec<KeyRef>) = all.into_iter().partition(|k| named(k));
    keep.extend(others);
    Evidence::DsKeys { source: None, ds, keys: Listed::of(keep, KEYS_KEPT) }
}

/// What an operator should do about a DS set that names no current key.
pub(crate) fn ds_advice(evidence: &Evidence) -> Option<String> {
    let Evidence::DsKeys { ds, keys, .. } = evidence else { return None };
    let ksk: Vec<String> = keys.iter().filter(|k| k.is_current_ksk()).map(|k| k.tag.to_string()).collect();
    let revoked = ds.iter().any(|(_, m)| *m == DsMismatch::Revoked);
    Some(match (ksk.is_empty(), revoked) {
        (false, _) => format!(
            "publish a DS for {} at the parent (or restore the key the DS names)",
            if ksk.len() == 1 { format!("key {}", ksk.join("")) } else { format!("one of keys {}", ksk.join(", ")) }
        ),
        (true, true) => "the revoked key can no longer be trusted: publish a new KSK and a DS for it".to_owned(),
        (true, false) => "restore the key the DS names, or publish a KSK and a DS for it".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(flags: u16, byte: u8) -> Dnskey {
        Dnskey { flags, protocol: 3, algorithm: Algorithm::ECDSAP256SHA256, public_key: vec![byte; 64] }
    }

    #[test]
    fn a_hostile_response_with_hundreds_of_records_leaves_a_small_failure() {
        let zone: Name = "example.".parse().unwrap_or_else(|_| Name::root());
        let text: String = (0..300)
            .map(|i| {
                format!(
                    "h{i:03}.example. 300 NSEC3 1 0 {} {} 00000000000000000000000000000{:03} A\n",
                    i % 7,
                    if i % 2 == 0 { "ab" } else { "-" },
                    i
                )
            })
            .collect();
        let records = candor_wire::text::parse_zone(&text, None).unwrap_or_default();
        assert_eq!(records.len(), 300);
        let Some(e) = nsec3_evidence(&records, None) else { panic!("no evidence") };
        let Evidence::Nsec3 { ranges, params, .. } = &e else { panic!("not NSEC3: {e:?}") };
        assert_eq!((ranges.items.len(), ranges.total), (LIST_CAP, 300));
        assert_eq!((params.items.len(), params.total), (LIST_CAP, 14));
        let text = Written { evidence: &e, zone: &zone }.to_string();
        assert!(text.contains(" and 296 more with differing parameters ") && text.ends_with(" and 10 more"), "{text}");
    }

    #[test]
    fn an_upstreams_text_is_made_printable_and_capped() {
        assert_eq!(safe_text("lame\u{7}\nzone\u{1b}[31m"), "lame??zone?[31m");
        let long = safe_text(&"é".repeat(500));
        assert!(long.len() <= UPSTREAM_TEXT_MAX + 3 && long.ends_with("..."), "{}", long.len());
        assert_eq!(safe_text("fine text"), "fine text");
    }

    #[test]
    fn a_ds_is_matched_against_each_keys_tag_with_revoke_cleared() {
        let ksk = key(257, 1);
        let zsk = key(256, 2);
        let revoked = key(257 | Dnskey::REVOKE, 1);
        let ds = |k: &Dnskey, alg: Algorithm| Ds {
            key_tag: key_tag(k),
            algorithm: alg,
            digest_type: 2,
            digest: vec![0; 32],
        };
        let alg13 = Algorithm::ECDSAP256SHA256;
        let wrong_tag = Ds { key_tag: key_tag(&ksk).wrapping_add(1), ..ds(&ksk, alg13) };
        let cases = [
            (ds(&ksk, alg13), vec![&ksk, &zsk], DsMismatch::Digest),
            (wrong_tag.clone(), vec![&ksk, &zsk], DsMismatch::NoKey),
            (ds(&ksk, alg13), vec![&revoked, &zsk], DsMismatch::Revoked),
            (ds(&ksk, Algorithm::RSASHA256), vec![&ksk], DsMismatch::Algorithm(alg13)),
        ];
        for (d, keys, want) in cases {
            let Evidence::DsKeys { ds, .. } = ds_mismatches(&[&d], &keys) else { panic!("DS evidence") };
            assert_eq!(ds.first().map(|x| x.1), Some(want), "{d:?}");
        }
        let zone: Name = "example.".parse().unwrap_or_else(|_| Name::root());
        let mut e = ds_mismatches(&[&wrong_tag], &[&ksk, &zsk]);
        if let Evidence::DsKeys { source, .. } = &mut e {
            *source = Some(DsSource::Parent(Name::root()));
        }
        let text = Written { evidence: &e, zone: &zone }.to_string();
        let (ksk_tag, zsk_tag, bad) = (key_tag(&ksk), key_tag(&zsk), wrong_tag.key_tag);
        assert_eq!(
            text,
            format!(
                "DS {bad}/13/SHA-256 in . names no key of example.; example. serves {ksk_tag}/13 KSK, {zsk_tag}/13 ZSK"
            )
        );
        assert_eq!(
            ds_advice(&e),
            Some(format!("publish a DS for key {ksk_tag} at the parent (or restore the key the DS names)"))
        );
        let e = ds_mismatches(&[&ds(&ksk, alg13)], &[&revoked]);
        let text = Written { evidence: &e, zone: &zone }.to_string();
        assert!(
            text.contains("published revoked") && text.contains(&format!("REVOKED (was {})", key_tag(&ksk))),
            "{text}"
        );
    }
}
