//! The chain of trust, one zone cut at a time: a child's DS RRset (from a
//! referral or a DS question) verified with the parent's keys, then the
//! child's DNSKEY RRset against it; the parent's proof that there is no DS;
//! zones below a cut served by the same servers, found by the signer of an
//! answer.

use std::net::SocketAddr;

use candor_denial::Proof;
use candor_wire::{Ds, Message, Name, RData, RType, Rcode, Record};

use crate::clock::Clock;
use crate::evidence::{DsRef, DsSource, Evidence};
use crate::failure::{Failure, FailureKind};
use crate::iterator::cuts::{CUT_TTL, Cut};
use crate::iterator::query::Reply;
use crate::iterator::referral::{ds_from_referral, referral_has_ds};
use crate::records::{ds_of, rrset_with_sigs};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::trace::{Link, sigs_of};
use crate::transport::Transport;
use crate::validator::denial::insecure_failure;
use crate::validator::verify::{KeyInput, Trust, TrustedKeys, rrsigs_for};
use crate::work::{Learned, Work};

/// What a DS query found.
pub(crate) enum DsAnswer {
    /// The child's trust.
    Trust(Trust),
    /// The answer is signed by this zone, between the parent and the child.
    SignedBelow(Name),
}

/// When the root's own keys fail the time check, the local clock is the
/// likelier culprit: say so.
pub(crate) fn clock_hint(t: Trust) -> Trust {
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

/// The zone strictly below `zone` (and at or above `qname`) whose
/// signatures an answer carries, when the answer came from a server of
/// both.
pub(crate) fn signer_below(zone: &Name, qname: &Name, msg: &Message) -> Option<Name> {
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

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// [`Self::finish`], after taking the chain down to the answer's signer
    /// when one server serves parent and child and the answer is signed by
    /// a zone below the cut.
    pub(crate) async fn finish_signed(
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
    pub(crate) async fn signer_cut(&self, cut: &Cut, signer: &Name, work: &mut Work) -> Result<Cut, Failure> {
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
    pub(crate) async fn trust_by_ds_query(&self, parent: &Cut, child: &Cut, work: &mut Work) -> Result<Trust, Failure> {
        match self.ds_query(parent, child, false, work).await? {
            DsAnswer::Trust(t) => Ok(t),
            DsAnswer::SignedBelow(_) => Ok(parent.trust.clone()),
        }
    }

    /// [`Self::trust_by_ds_query`]; with `descend`, an answer signed by a
    /// zone strictly between parent and child is reported as such instead
    /// of being checked with the parent's keys.
    pub(crate) async fn ds_query(
        &self,
        parent: &Cut,
        child: &Cut,
        descend: bool,
        work: &mut Work,
    ) -> Result<DsAnswer, Failure> {
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
            state: t.security(),
        });
        Ok(DsAnswer::Trust(t))
    }

    /// What `section` (signed by the parent, `keys`) says of `child`'s DS:
    /// proven absent (insecure, with the reason when the proof is an
    /// insecure one), or bogus.
    pub(crate) fn no_ds_trust(&self, keys: &TrustedKeys, section: &[Record], child: &Name, work: &mut Work) -> Trust {
        let now = self.clock.unix();
        // Proof that `child` is a delegation without DS: the parent's NSEC
        // (or NSEC3) at the name with NS set and SOA and DS clear, or an
        // opt-out span over it (RFC 6840 §4.4, RFC 5155 §8.9).
        let proof =
            self.deny(keys, section, work, |h, lim, recs| candor_denial::no_ds(child, &keys.zone, recs, h, lim));
        match proof {
            Ok(Proof::Insecure(i)) => Trust::Insecure(Some(insecure_failure(&i, &keys.zone, now))),
            Ok(_) => Trust::Insecure(None),
            // The name exists in the parent but is no cut: whoever
            // referred there lied, and what they serve is not trusted.
            Err(f) if f.kind == FailureKind::NotADelegation => Trust::Bogus(f.rrset(child, RType::NS)),
            // Otherwise the proof of no DS itself fails: say how.
            Err(_) => match self.deny(keys, section, work, |h, lim, recs| {
                candor_denial::nodata(child, RType::DS, &keys.zone, recs, h, lim)
            }) {
                Ok(_) => Trust::Bogus(
                    Failure::new(FailureKind::NotADelegation, keys.zone.clone(), now).rrset(child, RType::NS),
                ),
                Err(f) => Trust::Bogus(f),
            },
        }
    }

    /// The trust of `child` from the denial records kept from the parent's
    /// secure answers ([`Cache::proofs`]), when one group proves that
    /// it has no DS.
    pub(crate) fn ds_from_proofs(&self, keys: &TrustedKeys, child: &Name, work: &mut Work) -> Option<Trust> {
        self.cache.proofs(&keys.zone, self.clock.monotonic()).into_iter().find_map(|group| {
            match self.no_ds_trust(keys, &group, child, work) {
                Trust::Bogus(_) => None,
                t => Some(t),
            }
        })
    }

    /// The child's trust from its DS RRset in `section` (a referral's
    /// authority or a DS answer): verified with the parent's keys, then
    /// the child's DNSKEY RRset checked against it.
    pub(crate) async fn trust_via_ds(
        &self,
        parent: &TrustedKeys,
        child: &Cut,
        ds_set: &[Record],
        section: &[Record],
        work: &mut Work,
    ) -> Trust {
        let now = self.clock.unix();
        let sigs = rrsigs_for(section, &child.zone, RType::DS);
        let verified = self.cfg.validator.verify_rrset(ds_set, &sigs, parent, now, &mut work.budget.spent);
        work.record(|| Link::Ds {
            parent: parent.zone.clone(),
            child: child.zone.clone(),
            ds: ds_of(ds_set),
            rrsigs: sigs_of(section, &child.zone, RType::DS),
            state: verified.as_ref().err().map_or(Security::Secure, |f| Security::bogus(f.clone())),
        });
        match verified {
            Err(f) => Trust::Bogus(f),
            Ok(()) => {
                // Kept for a DS question the chain of a later answer leads to.
                let records = rrset_with_sigs(section, &child.zone, RType::DS);
                work.learned.push(Learned::Rrset(records));
                let source = DsSource::Parent(parent.zone.clone());
                match self.zone_keys(child, &ds_of(ds_set), &[], work).await {
                    Ok(Trust::Bogus(f)) | Err(f) => Trust::Bogus(f.ds_source(&source)),
                    Ok(t) => t,
                }
            }
        }
    }

    /// Fetch the cut's DNSKEY RRset and trust it from `ds` or `anchor_keys`.
    pub(crate) async fn zone_keys(
        &self,
        cut: &Cut,
        ds: &[Ds],
        anchor_keys: &[candor_wire::Dnskey],
        work: &mut Work,
    ) -> Result<Trust, Failure> {
        self.zone_keys_msg(cut, ds, anchor_keys, work).await.map(|(t, _)| t)
    }

    /// [`Self::zone_keys`], also handing back the DNSKEY response.
    pub(crate) async fn zone_keys_msg(
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
    pub(crate) fn trust_from(
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
        let trust = match self.establish(&input, msg, now, work) {
            // The root's window, for the clock check of other zones' failures.
            t @ Trust::Secure(_) if zone.is_root() => {
                if let Some(s) = sigs.iter().max_by_key(|s| s.inception) {
                    *crate::sync::lock(&self.root_window) = Some((s.inception, s.expiration));
                }
                t
            }
            // A DS set not from a referral or DS answer is the anchor's.
            Trust::Bogus(f) if self.cfg.anchors.get(zone).is_some() => Trust::Bogus(f.ds_source(&DsSource::Anchor)),
            t => t,
        };
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
            state: trust.security(),
        });
        trust
    }

    pub(crate) fn establish(&self, input: &KeyInput<'_>, msg: &Message, now: u64, work: &mut Work) -> Trust {
        let dnskeys = input.dnskeys;
        match self.cfg.validator.establish_keys(input, now, &mut work.budget.spent) {
            // No DNSKEY and not a signature in sight: the child is unsigned
            // while its parent still publishes a DS.
            Trust::Bogus(mut f) if f.kind == FailureKind::DnskeyMissing && dnskeys.is_empty() => {
                let signed = msg.answers.iter().chain(&msg.authority).any(|r| r.rtype() == RType::RRSIG);
                if !signed {
                    f.kind = FailureKind::DsUnsignedZone;
                    f.evidence =
                        vec![Evidence::DsUnsigned { source: None, ds: input.ds.iter().map(DsRef::from).collect() }];
                }
                Trust::Bogus(f)
            }
            t => t,
        }
    }
}
