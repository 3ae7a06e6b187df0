//! A saved cache's secure data, checked again at load as if it had just
//! arrived: the chain of trust rebuilt from the current anchors (and the
//! RFC 5011 state) down through the saved DS and DNSKEY RRsets, then every
//! signed RRset of every secure entry verified with its signer's keys at
//! the current time. What fails (expired signatures, a key no longer
//! reachable from the anchors, a broken signature) is left out.

use std::collections::HashMap;

use candor_wire::{Dnskey, Ds, Name, RData, RType, Record};

use crate::clock::Clock;
use crate::persist::format::{Contents, SavedCut};
use crate::records::{ds_of, rrset_keys};
use crate::resolver::Resolver;
use crate::security::Security;
use crate::transport::Transport;
use crate::validator::verify::{KeyInput, Spent, Trust, TrustedKeys, rrsigs_for};

/// The zones whose keys were established again, by zone.
pub(crate) type Trusted = HashMap<Name, TrustedKeys>;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// The keys of the saved secure cuts that chain to the anchors now.
    pub(crate) fn trusted_again(&self, c: &Contents, now: u64) -> Trusted {
        // Saved DS RRsets (with RRSIGs), by owner: from the RRset store
        // and from answers to DS questions.
        let mut ds: HashMap<Name, Vec<Record>> = HashMap::new();
        for r in c.rrsets.iter().filter(|r| r.security == Security::Secure) {
            if let Some(first) = r.records.iter().find(|x| x.rtype() == RType::DS) {
                ds.insert(first.owner.to_lowercase(), r.records.clone());
            }
        }
        for a in c.answers.iter().filter(|a| a.qtype == RType::DS && a.resolution.security == Security::Secure) {
            if a.resolution.answers.iter().any(|x| x.rtype() == RType::DS) {
                ds.entry(a.qname.to_lowercase()).or_insert_with(|| a.resolution.answers.clone());
            }
        }
        let mut cuts: Vec<&SavedCut> = c.cuts.iter().filter(|c| c.keys.is_some()).collect();
        cuts.sort_by_key(|c| c.zone.label_count());
        let mut trusted = Trusted::new();
        for cut in cuts {
            let Some(keys) = &cut.keys else { continue };
            let Some((ds, anchor_keys)) = self.vouching(&cut.zone, &ds, &trusted, now) else { continue };
            let dnskeys: Vec<Record> =
                keys.iter().filter(|r| r.owner == cut.zone && r.rtype() == RType::DNSKEY).cloned().collect();
            let sigs = rrsigs_for(keys, &cut.zone, RType::DNSKEY);
            let input =
                KeyInput { zone: &cut.zone, ds: &ds, anchor_keys: &anchor_keys, dnskeys: &dnskeys, rrsigs: &sigs };
            if let Trust::Secure(k) = self.cfg.validator.establish_keys(&input, now, &mut Spent::default()) {
                trusted.insert(cut.zone.to_lowercase(), k);
            }
        }
        trusted
    }

    /// What vouches for `zone`'s keys now: its trust anchor (the root's
    /// with the RFC 5011 state's keys), or its saved DS RRset verified
    /// with the keys of a zone above it established already.
    fn vouching(
        &self,
        zone: &Name,
        saved_ds: &HashMap<Name, Vec<Record>>,
        trusted: &Trusted,
        now: u64,
    ) -> Option<(Vec<Ds>, Vec<Dnskey>)> {
        if let Some(a) = self.cfg.anchors.get(zone) {
            let mut keys = a.keys.clone();
            if zone.is_root()
                && let Ok(Some(st)) = self.rfc5011_state()
            {
                keys.extend(st.trusted());
            }
            return Some((a.ds.clone(), keys));
        }
        let records = saved_ds.get(&zone.to_lowercase())?;
        let set: Vec<Record> = records.iter().filter(|r| r.rtype() == RType::DS && r.owner == *zone).cloned().collect();
        verify_rrset_again(self, &set, records, trusted, now).then(|| (ds_of(&set), Vec::new()))
    }

    /// `section` with every signed RRset verified again: `None` when one
    /// fails, or (`strict`) when an RRset is unsigned other than a CNAME
    /// a DNAME of the section synthesised; unsigned RRsets are left out
    /// otherwise.
    pub(crate) fn checked_again(
        &self,
        section: &[Record],
        trusted: &Trusted,
        now: u64,
        strict: bool,
    ) -> Option<Vec<Record>> {
        let mut kept: Vec<Record> = Vec::with_capacity(section.len());
        for (owner, rtype) in rrset_keys(section) {
            let set: Vec<Record> = section.iter().filter(|r| r.owner == owner && r.rtype() == rtype).cloned().collect();
            let signed = !rrsigs_for(section, &owner, rtype).is_empty();
            if signed {
                if !verify_rrset_again(self, &set, section, trusted, now) {
                    return None;
                }
            } else if synthesised(section, &owner, rtype) {
                // Its DNAME is checked in turn.
            } else if strict {
                return None;
            } else {
                continue;
            }
            kept.extend(set);
            kept.extend(
                section
                    .iter()
                    .filter(|r| r.owner == owner && matches!(&r.data, RData::Rrsig(s) if s.type_covered == rtype))
                    .cloned(),
            );
        }
        Some(kept)
    }
}

/// Does one of the RRSIGs over `set` in `section` verify with the keys
/// of its signer, trusted again?
fn verify_rrset_again<T: Transport, C: Clock>(
    r: &Resolver<T, C>,
    set: &[Record],
    section: &[Record],
    trusted: &Trusted,
    now: u64,
) -> bool {
    let Some(first) = set.first() else { return false };
    let sigs = rrsigs_for(section, &first.owner, first.rtype());
    let mut signers: Vec<Name> = sigs.iter().map(|s| s.signer.to_lowercase()).collect();
    signers.sort_unstable_by(|a, b| a.as_wire().cmp(b.as_wire()));
    signers.dedup();
    signers
        .iter()
        .filter_map(|s| trusted.get(s))
        .any(|keys| r.cfg.validator.verify_rrset(set, &sigs, keys, now, &mut Spent::default()).is_ok())
}

/// Is `owner`/`rtype` a CNAME synthesised from a DNAME of `section`?
fn synthesised(section: &[Record], owner: &Name, rtype: RType) -> bool {
    rtype == RType::CNAME
        && section.iter().any(|r| r.rtype() == RType::DNAME && r.owner != *owner && owner.is_subdomain_of(&r.owner))
}
