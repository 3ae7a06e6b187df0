//! The iterator: from the deepest known cut (or the root, primed and
//! anchored) down through referrals to the zone that answers, with QNAME
//! minimisation (RFC 9156), then the answer validated, asked again of other
//! servers when bogus.
pub(crate) mod cuts;
pub(crate) mod dead_ends;
pub(crate) mod forward;
pub(crate) mod query;
pub(crate) mod referral;
pub(crate) mod select;

use std::net::SocketAddr;

use candor_wire::{Message, Name, RData, RType, Rcode, Record};

use crate::answer::scrub::{Admitted, admit_referral};
use crate::budget::exhausted;
use crate::clock::Clock;
use crate::failure::{BudgetKind, Failure};
use crate::iterator::cuts::{CUT_TTL, Cut, referral_ttl};
use crate::iterator::query::Reply;
use crate::iterator::referral::{ds_from_referral, referral_has_ds};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::trace::Link;
use crate::transport::Transport;
use crate::validator::chain::clock_hint;
use crate::validator::verify::Trust;
use crate::work::Work;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// The deepest kept cut at or above `name` whose trust is current, or
    /// made current again: a cut whose (bogus) verdict ran out keeps its
    /// servers, and its trust is established anew from the closest cut
    /// above it (the parent's DS, or an anchor), as a referral's would be.
    pub(crate) async fn closest_cut(&self, name: &Name, work: &mut Work) -> Option<Cut> {
        let now = self.clock.monotonic();
        let mut from = name.clone();
        loop {
            let (cut, fresh) = self.cuts.closest(&from, now)?;
            if fresh {
                if self.cfg.cache.prefetch && self.cuts.due_for_refresh(&cut.zone, now) {
                    self.prefetch_cut(&cut.zone);
                }
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
                            Some((records, Security::Secure, _)) => {
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

    /// Resolve `qname`/`qtype` by iteration (or through a forward zone),
    /// without the answer cache: one link of a chain.
    pub(crate) async fn resolve_one(&self, qname: &Name, qtype: RType, work: &mut Work) -> Resolution {
        let now = self.clock.unix();
        let servfail = Resolution::servfail;
        if let Some(fwd) = self.forward_for(qname) {
            return match self.resolve_forwarded(&fwd, qname, qtype, work).await {
                Ok(r) => r,
                Err(f) => servfail(f),
            };
        }
        let mut cut = match self.start_cut(qname, qtype, work).await {
            Ok(c) => c,
            Err(f) => return servfail(f),
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
            // Minimising here got an NXDOMAIN that ended nothing, lately:
            // the whole name at once.
            if !full && self.dead_ends.is_dead(&qname.trim_to(labels), self.clock.monotonic()) {
                minimise = false;
                continue;
            }
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
                    cut = match self.take_referral(&cut, msg, child, (&asked, asked_type), work).await {
                        Ok(next) => next,
                        Err(f) => return servfail(f),
                    };
                    labels = cut.zone.label_count() + 1;
                }
                Reply::Answer(msg) if full => {
                    return match self.take_answer(&cut, qname, qtype, msg, work).await {
                        Ok(r) => r,
                        Err(f) => servfail(f),
                    };
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
                    self.dead_ends.mark(&asked, self.clock.monotonic());
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
        servfail(exhausted(BudgetKind::ReferralDepth, &self.cfg, qname, now))
    }

    /// Where resolving `qname`/`qtype` starts: the deepest kept cut, a
    /// stub zone's configured servers (unless a deeper cut is known), or the
    /// root. A DS lives on the parent side of a cut: it starts above the name.
    async fn start_cut(&self, qname: &Name, qtype: RType, work: &mut Work) -> Result<Cut, Failure> {
        let above = qtype == RType::DS || work.refreshing_cut;
        let start = if above { qname.parent().unwrap_or_else(Name::root) } else { qname.clone() };
        let stub = self.stub_for(&start);
        // A trace walks the chain from the root, whatever cuts are kept
        // (a live resolver's `control why --trace`); later steps of the
        // same walk may use the cuts it learned.
        let walk_from_root = work.trace.as_ref().is_some_and(Vec::is_empty);
        let cached = if walk_from_root { None } else { self.closest_cut(&start, work).await };
        // A stub zone's configured servers stand in for its delegation,
        // unless a deeper cut is already known.
        let cached = match (cached, &stub) {
            (Some(c), Some(s)) if c.zone.label_count() < s.zone.label_count() => None,
            (c, _) => c,
        };
        match (cached, stub) {
            (Some(c), _) => Ok(c),
            (None, Some(s)) => self.stub_cut(&s, work).await,
            (None, None) => self.root_cut(work).await,
        }
    }

    /// The root's cut when nothing below it is known: the hinted servers,
    /// primed (RFC 8109), and the root's keys trusted from the anchors and
    /// the RFC 5011 state (a validated key set feeds RFC 5011 in turn; a
    /// root whose signatures fail the time check blames the local clock).
    pub(crate) async fn root_cut(&self, work: &mut Work) -> Result<Cut, Failure> {
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
        if let Ok(Some(st)) = &state {
            keys.extend(st.trusted());
        }
        ds.dedup();
        cut.trust = if ds.is_empty() && keys.is_empty() {
            Trust::Insecure(None)
        } else {
            match self.zone_keys_msg(&cut, &ds, &keys, work).await {
                Ok((t, msg)) => {
                    // A refused state is left as it is (not overwritten).
                    if let (Trust::Secure(_), Some(path), Ok(state)) = (&t, &self.cfg.anchor_state, state) {
                        self.observe_root_keys(path, state, &msg);
                    }
                    clock_hint(t)
                }
                Err(f) => return Err(f),
            }
        };
        self.cuts.put(&cut, CUT_TTL, self.clock.monotonic());
        Ok(cut)
    }

    /// Take a referral to `child` (the answer to `asked`/`asked_type`):
    /// its cut, and when its DS (or its proof) is bogus, the parent's other
    /// servers asked for it in turn. The cut is kept for the referral's TTL.
    async fn take_referral(
        &self,
        cut: &Cut,
        msg: Message,
        child: Name,
        (asked, asked_type): (&Name, RType),
        work: &mut Work,
    ) -> Result<Cut, Failure> {
        let msg = self.admit_referral(cut, &child, msg, work);
        // A referral from a cut that is not secure to a name below a trust
        // anchor's zone that lies between them (an island served by the
        // same servers) must not skip the island: its keys are established
        // first, and the referral is judged from there (its DS, or its
        // proof that the name is a delegation without one).
        let island = self
            .cfg
            .anchors
            .closest(&child)
            .map(|(z, _)| z.clone())
            .filter(|z| *z != child && *z != cut.zone && z.is_subdomain_of(&cut.zone))
            .filter(|_| !matches!(cut.trust, Trust::Secure(_)));
        let anchored;
        let cut = match island {
            Some(zone) => {
                anchored = self.signer_cut(cut, &zone, work).await?;
                &anchored
            }
            None => cut,
        };
        let mut tried: Vec<SocketAddr> = work.last_server.into_iter().collect();
        let mut next = self.follow(cut, &msg, &child, work).await?;
        // A referral whose DS (or its proof) is bogus: the parent's
        // other servers may serve it right.
        let mut others = cut.clone();
        while matches!(next.trust, Trust::Bogus(_)) {
            let Some(other) = self.untried(&mut others, &mut tried, work).await else { break };
            let Ok(Reply::Referral(m, c)) = self.ask(&other, asked, asked_type, work).await else {
                continue;
            };
            if c != child {
                continue;
            }
            let m = self.admit_referral(&other, &c, m, work);
            if let Ok(again) = self.follow(cut, &m, &c, work).await
                && !matches!(again.trust, Trust::Bogus(_))
            {
                next = again;
            }
        }
        self.cuts.put(&next, referral_ttl(&msg), self.clock.monotonic());
        Ok(next)
    }

    /// A referral from `cut`'s servers to `child` through the admission
    /// gate; what it left out goes on the trace.
    fn admit_referral(&self, cut: &Cut, child: &Name, msg: Message, work: &mut Work) -> Message {
        let Admitted { msg, dropped } = admit_referral(&cut.zone, child, self.cfg.harden_glue, msg);
        if !dropped.is_empty() {
            work.record(|| Link::Referral {
                parent: cut.zone.clone(),
                child: child.clone(),
                dropped: dropped.iter().map(|(r, why)| (r.owner.clone(), r.rtype(), *why)).collect(),
                state: cut.trust.security(),
            });
        }
        msg
    }

    /// Take the answer to the whole question: validated down to its
    /// signer; a chain whose target data does not validate keeps the links
    /// before it; a bogus answer asked again of the zone's other servers.
    async fn take_answer(
        &self,
        cut: &Cut,
        qname: &Name,
        qtype: RType,
        msg: Message,
        work: &mut Work,
    ) -> Result<Resolution, Failure> {
        self.learn_child_ns(cut, &msg);
        let mut tried: Vec<SocketAddr> = work.last_server.into_iter().collect();
        let chained = msg.answers.iter().any(|r| r.rtype() == RType::CNAME).then(|| msg.clone());
        let links = work.trace.as_ref().map(Vec::len);
        let mut r = self.finish_signed(cut, qname, qtype, msg, work).await?;
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
            if let Ok(again) = self.finish_signed(cut, qname, qtype, msg, work).await
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
            if let Ok(again) = self.finish_signed(cut, qname, qtype, msg, work).await
                && !matches!(again.security, Security::Bogus(_))
            {
                r = again;
            }
        }
        Ok(r)
    }
}
