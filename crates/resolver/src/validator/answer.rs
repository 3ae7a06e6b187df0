//! Validation of an answer against its zone's keys: each RRset of the
//! answer section, a DNAME's synthesised CNAME, wildcard expansions with
//! their proof, and negative answers with theirs.

use candor_denial::Proof;
use candor_wire::{Message, Name, RData, RType, Rcode, Record};

use crate::clock::Clock;
use crate::failure::{Failure, FailureKind};
use crate::records::{chain_end, dname_rewrite, rrset_keys, rrset_with_sigs};
use crate::resolver::Resolver;
use crate::security::Security;
use crate::transport::Transport;
use crate::validator::denial::insecure_failure;
use crate::validator::verify::{TrustedKeys, rrsigs_for};
use crate::work::{Learned, Work};

/// When the server sent records with malformed RDATA (left out): a
/// signature that fails over such an RRset blames the record, not the
/// signer, and unvalidated data that lost one says so (EDE 0 on the
/// answer, as insecure-by-policy answers do).
pub(crate) fn blame_malformed(
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
            Some(r) => Security::insecure_with(
                Failure::new(FailureKind::MalformedRecord, zone.clone(), now).rrset(&r.owner, r.rtype()),
            ),
            None => Security::Insecure(None),
        },
        s => s,
    }
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    pub(crate) fn validate_answer(
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
                                work.learned.push(Learned::Rrset(records));
                            }
                            let f = Failure::new(FailureKind::SignatureInvalid, keys.zone.clone(), now);
                            return Security::bogus(f.rrset(&owner, RType::CNAME));
                        }
                        None => {}
                    }
                }
                if let Err(f) = self.cfg.validator.verify_rrset(&set, &sigs, keys, now, &mut work.budget.spent) {
                    return Security::bogus(f);
                }
                let expanded = sigs.iter().map(|s| s.labels).find(|l| usize::from(*l) < owner.rrsig_label_count());
                if rtype == RType::DNAME && expanded.is_some() {
                    let f = Failure::new(FailureKind::WildcardDname, keys.zone.clone(), now);
                    return Security::bogus(f.rrset(&owner, RType::DNAME));
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
                    Ok(Proof::Insecure(i)) => Security::insecure_with(insecure_failure(&i, &keys.zone, now)),
                    Ok(_) => Security::Insecure(None),
                    // A proof record's own failure names that record.
                    Err(f) if f.rrset.is_some() => Security::bogus(f.with(proving(&owner, qtype))),
                    Err(f) => Security::bogus(f.rrset(&owner, qtype)),
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
            Ok(Proof::Insecure(i)) => Security::insecure_with(insecure_failure(&i, &keys.zone, now)),
            Ok(Proof::OptOut) => Security::Insecure(None),
            Ok(_) => Security::Secure,
            // A proof record's own failure (its signature) names that record.
            Err(f) if f.rrset.is_some() => Security::bogus(f.with(proving(qname, qtype))),
            Err(f) => Security::bogus(f.rrset(qname, qtype)),
        }
    }

    /// `owner`/`rtype` from `section` with its RRSIGs, when it is there and
    /// verifies with `keys` (any set does without keys: an insecure zone).
    pub(crate) fn verified_rrset(
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
            self.cfg.validator.verify_rrset(&set, &sigs, keys, self.clock.unix(), &mut work.budget.spent).ok()?;
        }
        Some(records)
    }
}

/// Which question a failing proof record was to answer.
fn proving(qname: &candor_wire::Name, qtype: candor_wire::RType) -> crate::evidence::Evidence {
    crate::evidence::Evidence::Denial(format!("in the proof for {qname}/{qtype}"))
}
