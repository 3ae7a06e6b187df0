//! Referrals: the child's servers from in-bailiwick glue (or looked up),
//! its trust from the parent's DS or proof of none; root priming; name
//! servers' addresses; more servers when the known ones fail.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use candor_denial::Proof;
use candor_wire::{Message, Name, RData, RType, Record};

use crate::clock::Clock;
use crate::failure::{Failure, FailureKind};
use crate::iterator::cuts::{Cut, Glue, referral_ttl};
use crate::iterator::query::{MAX_NS_DEPTH, MAX_NS_LOOKUPS, Reply};
use crate::records::covers;
use crate::resolver::Resolver;
use crate::trace::Link;
use crate::transport::Transport;
use crate::validator::denial::insecure_failure;
use crate::validator::verify::Trust;
use crate::work::{Learned, Work};

/// Servers asked at most for one answer when what they give is bogus.
pub(crate) const MAX_BOGUS_RETRIES: usize = 4;

/// Glue addresses remembered per resolution.
pub(crate) const MAX_GLUE_KEPT: usize = 64;

/// Does a referral to `zone` carry the zone's DS RRset?
pub(crate) fn referral_has_ds(msg: &Message, zone: &Name) -> bool {
    msg.authority.iter().any(|r| r.owner == *zone && r.rtype() == RType::DS)
}

/// A referral to `zone` carrying its DS RRset turned into the answer to
/// `zone`/DS: the DS and its RRSIGs move to the answer, the delegation's
/// NS and glue go.
pub(crate) fn ds_from_referral(mut msg: Message, zone: &Name) -> Message {
    let (ds, rest): (Vec<Record>, Vec<Record>) = msg.authority.into_iter().partition(|r| covers(r, zone, RType::DS));
    msg.answers = ds;
    msg.authority = rest.into_iter().filter(|r| r.rtype() != RType::NS).collect();
    msg.additional.clear();
    msg
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// An authoritative answer that names the zone's NS RRset: name
    /// servers the parent's referral did not list are kept with the cut,
    /// to be looked up when the known ones fail (the child's word on its
    /// servers outranks the parent's, RFC 2181 §5.4.1).
    pub(crate) fn learn_child_ns(&self, cut: &Cut, msg: &Message) {
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

    /// Take a referral: the child's servers from in-bailiwick glue, and its
    /// trust from the parent's DS (or the parent's proof that there is none).
    pub(crate) async fn follow(&self, cut: &Cut, msg: &Message, child: &Name, work: &mut Work) -> Result<Cut, Failure> {
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
        let mono = self.clock.monotonic();
        self.glue.put(&usable, mono + keep, mono, &cut.zone);
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
        if servers.is_empty() && work.budget.depth < MAX_NS_DEPTH {
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
            let refused: Vec<_> = glue.iter().copied().filter(|a| !self.cfg.outbound.permits(*a)).collect();
            if !refused.is_empty() {
                f.evidence.push(crate::evidence::Evidence::NeverQueried(crate::evidence::Listed::of(refused, 16)));
            }
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
                        work.learned
                            .push(Learned::NoDsProof { zone: keys.zone.clone(), section: msg.authority.clone() });
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
                        state: t.security(),
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
    pub(crate) async fn untried(&self, cut: &mut Cut, tried: &mut Vec<SocketAddr>, work: &mut Work) -> Option<Cut> {
        while tried.len() < MAX_BOGUS_RETRIES {
            if let Some(next) = cut.servers.iter().find(|s| !tried.contains(s)).copied() {
                // Marked as tried whatever it answers, so the loop ends.
                tried.push(next);
                return Some(Cut { servers: vec![next], ..cut.clone() });
            }
            if work.budget.depth >= MAX_NS_DEPTH || cut.pending.is_empty() {
                return None;
            }
            let name = cut.pending.remove(0);
            let addrs = self.ns_addresses(&name, work).await;
            cut.servers.extend(self.servers(&addrs));
        }
        None
    }

    /// The addresses of a name server, resolved from the root (its
    /// security does not matter: the data it serves is validated).
    pub(crate) fn ns_addresses<'a>(
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
                    work.budget.depth += 1;
                    let r = self.resolve_one(name, RType::A, work).await;
                    work.budget.depth -= 1;
                    let addrs: Vec<IpAddr> = r
                        .answers
                        .iter()
                        .filter_map(|rr| match &rr.data {
                            RData::A(a) => Some(IpAddr::V4(*a)),
                            _ => None,
                        })
                        .collect();
                    self.glue.name_addresses(name, &addrs);
                    addrs
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

    /// Root priming (RFC 8109): ask the hinted servers for the root's NS
    /// RRset and use the addresses that come with it; the hints stay the
    /// fallback when priming fails.
    pub(crate) async fn prime(&self, hints: &Cut, work: &mut Work) -> Option<Vec<SocketAddr>> {
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
}
