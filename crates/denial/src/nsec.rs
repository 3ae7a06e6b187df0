//! NSEC proofs (RFC 4035 §5.4, RFC 4034 §4).

use candor_wire::{Name, Nsec, RType};

use crate::error::DenialError;
use crate::proof::Proof;

/// The NSEC records of one response that lie in the zone.
pub(crate) struct NsecSet<'a> {
    pub(crate) zone: &'a Name,
    pub(crate) records: Vec<(&'a Name, &'a Nsec)>,
}

impl<'a> NsecSet<'a> {
    fn matching(&self, name: &Name) -> Option<&(&'a Name, &'a Nsec)> {
        self.records.iter().find(|(owner, _)| *owner == name)
    }

    /// An NSEC that covers `name` (owner < name < next in canonical order,
    /// the last NSEC wrapping to the apex). An NSEC at a delegation or a
    /// DNAME that would "cover" names below its owner does not count.
    fn covering(&self, name: &Name) -> Result<&(&'a Name, &'a Nsec), DenialError> {
        let mut refused = None;
        for entry in &self.records {
            let (owner, nsec) = entry;
            let next = &nsec.next;
            let inside = if *owner < next { *owner < name && name < next } else { *owner < name || name < next };
            if !inside || !name.is_subdomain_of(self.zone) {
                continue;
            }
            // An overreaching NSEC (its next name in another zone) denies
            // nothing: the chain of a zone stays in the zone.
            if !next.is_subdomain_of(self.zone) {
                refused = Some(DenialError::NextOutsideZone { owner: (*owner).clone(), next: next.clone() });
                continue;
            }
            if name.is_subdomain_of(owner) {
                let t = &nsec.types;
                if t.contains(RType::NS) && !t.contains(RType::SOA) {
                    refused = Some(DenialError::ParentSide { owner: (*owner).clone() });
                    continue;
                }
                if t.contains(RType::DNAME) {
                    refused = Some(DenialError::BelowDname { owner: (*owner).clone() });
                    continue;
                }
            }
            return Ok(entry);
        }
        Err(refused.unwrap_or_else(|| DenialError::NotCovered { name: name.clone() }))
    }

    /// The closest encloser the covering NSEC shows: the deepest ancestor of
    /// `name` that is an ancestor of its owner or of its next name.
    fn closest_encloser(&self, name: &Name, cover: &(&Name, &Nsec)) -> Name {
        let n = name.common_label_count(cover.0).max(name.common_label_count(&cover.1.next));
        name.trim_to(n.max(self.zone.label_count()))
    }

    pub(crate) fn nxdomain(&self, qname: &Name) -> Result<Proof, DenialError> {
        if self.matching(qname).is_some() {
            return Err(DenialError::NameExists { name: qname.clone() });
        }
        let cover = self.covering(qname)?;
        // A next name below qname makes qname an empty non-terminal: it exists.
        if cover.1.next.is_subdomain_of(qname) {
            return Err(DenialError::NameExists { name: qname.clone() });
        }
        let ce = self.closest_encloser(qname, cover);
        self.deny_wildcard(qname, &ce)?;
        Ok(Proof::NxDomain { closest_encloser: ce })
    }

    fn deny_wildcard(&self, qname: &Name, ce: &Name) -> Result<(), DenialError> {
        let wildcard = ce.wildcard().map_err(|_| DenialError::NotCovered { name: ce.clone() })?;
        if self.matching(&wildcard).is_some() {
            return Err(DenialError::WildcardExists { wildcard, name: qname.clone() });
        }
        match self.covering(&wildcard) {
            Ok(_) => Ok(()),
            Err(DenialError::NotCovered { .. }) => Err(DenialError::WildcardNotDenied { wildcard }),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn nodata(&self, qname: &Name, qtype: RType) -> Result<Proof, DenialError> {
        if let Some((owner, nsec)) = self.matching(qname) {
            check_bitmap(self.zone, owner, nsec, qtype)?;
            return Ok(Proof::NoData);
        }
        let cover = self.covering(qname).map_err(|e| match e {
            DenialError::NotCovered { name } => DenialError::NoMatch { name },
            other => other,
        })?;
        // An empty non-terminal: names exist below it, so the next name
        // after the covering NSEC is one of them.
        if cover.1.next.is_subdomain_of(qname) && cover.1.next != *qname {
            return Ok(Proof::EmptyNonTerminal);
        }
        let ce = self.closest_encloser(qname, cover);
        let wildcard = ce.wildcard().map_err(|_| DenialError::NoMatch { name: qname.clone() })?;
        match self.matching(&wildcard) {
            Some((owner, nsec)) => {
                check_bitmap(self.zone, owner, nsec, qtype)?;
                Ok(Proof::WildcardNoData { wildcard })
            }
            None => Err(DenialError::NoMatch { name: qname.clone() }),
        }
    }

    pub(crate) fn wildcard_answer(&self, qname: &Name, labels: usize) -> Result<Proof, DenialError> {
        let source = qname.trim_to(labels);
        let cover = self.covering(qname)?;
        let ce = self.closest_encloser(qname, cover);
        if ce.label_count() > source.label_count() {
            return Err(DenialError::CloserMatch { name: qname.clone(), closest_encloser: ce });
        }
        Ok(Proof::WildcardAnswer)
    }

    pub(crate) fn no_ds(&self, delegation: &Name) -> Result<Proof, DenialError> {
        let (owner, nsec) =
            self.matching(delegation).ok_or_else(|| DenialError::NoMatch { name: delegation.clone() })?;
        delegation_bitmap(owner, &nsec.types)?;
        Ok(Proof::NoDs)
    }
}

/// The bitmap at a matching record proves `qtype` absent: it lacks the
/// type and CNAME, and (but for DS) it is not a parent-side delegation record.
pub(crate) fn check_bitmap_types(
    zone: &Name,
    owner: &Name,
    types: &candor_wire::TypeBitmap,
    qtype: RType,
) -> Result<(), DenialError> {
    if types.contains(qtype) {
        return Err(DenialError::BitmapHasType { owner: owner.clone(), rtype: qtype });
    }
    if qtype != RType::CNAME && types.contains(RType::CNAME) {
        return Err(DenialError::BitmapHasType { owner: owner.clone(), rtype: RType::CNAME });
    }
    if qtype != RType::DS && types.contains(RType::NS) && !types.contains(RType::SOA) {
        return Err(DenialError::ParentSide { owner: owner.clone() });
    }
    // No DS below the zone is proven by the parent side of the cut; a
    // record claiming an apex (SOA) there is the child's, not the parent's.
    if qtype == RType::DS && owner != zone && types.contains(RType::SOA) {
        return Err(DenialError::BitmapHasType { owner: owner.clone(), rtype: RType::SOA });
    }
    Ok(())
}

fn check_bitmap(zone: &Name, owner: &Name, nsec: &Nsec, qtype: RType) -> Result<(), DenialError> {
    check_bitmap_types(zone, owner, &nsec.types, qtype)
}

/// A parent-side record at a delegation that proves no DS: NS, no DS, no SOA.
pub(crate) fn delegation_bitmap(owner: &Name, types: &candor_wire::TypeBitmap) -> Result<(), DenialError> {
    if types.contains(RType::DS) {
        return Err(DenialError::BitmapHasType { owner: owner.clone(), rtype: RType::DS });
    }
    if !types.contains(RType::NS) || types.contains(RType::SOA) {
        return Err(DenialError::NotADelegation { name: owner.clone() });
    }
    Ok(())
}
