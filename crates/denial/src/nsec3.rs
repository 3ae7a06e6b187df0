//! NSEC3 proofs (RFC 5155 §8).

use candor_wire::text::{base32hex_decode, base32hex_encode};
use candor_wire::{Name, Nsec3, RType};

use crate::error::DenialError;
use crate::hasher::{HASH_LEN, Nsec3Hasher};
use crate::nsec::{check_bitmap_types, delegation_bitmap};
use crate::proof::{Insecure, Limits, Proof};

/// One NSEC3 record with its owner hash decoded.
pub(crate) struct Entry<'a> {
    hash: [u8; HASH_LEN],
    rd: &'a Nsec3,
}

/// The usable NSEC3 records of one response, all with one set of parameters.
pub(crate) struct Nsec3Set<'a> {
    zone: &'a Name,
    entries: Vec<Entry<'a>>,
    salt: &'a [u8],
    iterations: u16,
}

/// Either a set to prove with, or an outcome decided by the parameters alone.
pub(crate) enum Prepared<'a> {
    Set(Nsec3Set<'a>),
    Decided(Proof),
}

impl<'a> Nsec3Set<'a> {
    /// Gather the NSEC3 records directly below `zone` with hash algorithm 1
    /// (RFC 5155 §8.1: others are ignored) and check that they agree on
    /// salt and iterations, and that iterations are within the cap.
    pub(crate) fn prepare(
        zone: &'a Name,
        records: &[(&'a Name, &'a Nsec3)],
        limits: &Limits,
    ) -> Result<Option<Prepared<'a>>, DenialError> {
        let mut entries = Vec::new();
        let mut unknown_alg = None;
        for (owner, rd) in records {
            if rd.hash_algorithm != 1 {
                unknown_alg = Some(rd.hash_algorithm);
                continue;
            }
            if owner.parent().as_ref() != Some(zone) || rd.next_hashed.len() != HASH_LEN {
                continue;
            }
            let label = owner.first_label().and_then(|l| std::str::from_utf8(l).ok());
            let Some(hash) = label.and_then(base32hex_decode).and_then(|h| <[u8; HASH_LEN]>::try_from(h).ok()) else {
                continue;
            };
            entries.push(Entry { hash, rd });
        }
        let Some(first) = entries.first() else {
            return Ok(unknown_alg.map(|a| Prepared::Decided(Proof::Insecure(Insecure::UnsupportedHashAlgorithm(a)))));
        };
        let (salt, iterations) = (first.rd.salt.as_slice(), first.rd.iterations);
        if entries.iter().any(|e| e.rd.salt != salt || e.rd.iterations != iterations) {
            return Err(DenialError::ParameterMismatch);
        }
        if iterations > limits.max_iterations {
            return Ok(Some(Prepared::Decided(Proof::Insecure(Insecure::IterationsAboveCap {
                iterations,
                cap: limits.max_iterations,
            }))));
        }
        Ok(Some(Prepared::Set(Nsec3Set { zone, entries, salt, iterations })))
    }

    fn hash(&self, h: &mut dyn Nsec3Hasher, name: &Name) -> Result<[u8; HASH_LEN], DenialError> {
        h.hash(name, self.salt, self.iterations)
    }

    fn matching(&self, hash: &[u8; HASH_LEN]) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.hash == *hash)
    }

    /// An NSEC3 whose span (owner hash, next hash) contains `hash`, the
    /// last one wrapping around.
    fn covering(&self, hash: &[u8; HASH_LEN]) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| {
            let next = e.rd.next_hashed.as_slice();
            let h = hash.as_slice();
            let own = e.hash.as_slice();
            if own < next { own < h && h < next } else { own < h || h < next }
        })
    }

    /// The closest provable encloser (RFC 5155 §8.3): the deepest ancestor
    /// of `name` with a matching NSEC3 whose child towards `name` (the next
    /// closer name) is covered. Returns (closest encloser, the covering
    /// NSEC3 of the next closer), or `None` for the next closer when `name`
    /// itself matches.
    fn closest_encloser(
        &self,
        h: &mut dyn Nsec3Hasher,
        name: &Name,
    ) -> Result<(Name, Option<&Entry<'a>>), DenialError> {
        if !name.is_subdomain_of(self.zone) {
            return Err(DenialError::NoClosestEncloser { name: name.clone() });
        }
        let mut next_closer: Option<Name> = None;
        for candidate in name.ancestors() {
            if !candidate.is_subdomain_of(self.zone) {
                break;
            }
            let hash = self.hash(h, &candidate)?;
            if let Some(m) = self.matching(&hash) {
                let t = &m.rd.types;
                // A delegation or DNAME at the encloser cannot deny names below it.
                if next_closer.is_some() {
                    if t.contains(RType::DNAME) {
                        return Err(DenialError::BelowDname { owner: candidate });
                    }
                    if t.contains(RType::NS) && !t.contains(RType::SOA) {
                        return Err(DenialError::ParentSide { owner: candidate });
                    }
                }
                let Some(nc) = next_closer else {
                    return Ok((candidate, None));
                };
                let nc_hash = self.hash(h, &nc)?;
                return match self.covering(&nc_hash) {
                    Some(cover) => Ok((candidate, Some(cover))),
                    None => Err(DenialError::NextCloserNotCovered {
                        next_closer: nc,
                        hash: base32hex_encode(&nc_hash).to_lowercase(),
                    }),
                };
            }
            next_closer = Some(candidate);
        }
        Err(DenialError::NoClosestEncloser { name: name.clone() })
    }

    /// RFC 5155 §8.4.
    pub(crate) fn nxdomain(&self, h: &mut dyn Nsec3Hasher, qname: &Name) -> Result<Proof, DenialError> {
        let (ce, cover) = self.closest_encloser(h, qname)?;
        let Some(cover) = cover else {
            return Err(DenialError::NameExists { name: qname.clone() });
        };
        let wildcard = ce.wildcard().map_err(|_| DenialError::NoClosestEncloser { name: qname.clone() })?;
        let wh = self.hash(h, &wildcard)?;
        if self.matching(&wh).is_some() {
            return Err(DenialError::WildcardExists { wildcard, name: qname.clone() });
        }
        if self.covering(&wh).is_none() {
            return Err(DenialError::WildcardNotDenied { wildcard });
        }
        // The next closer may be an unsigned delegation inside an opt-out span.
        if cover.rd.opt_out() {
            return Ok(Proof::OptOut);
        }
        Ok(Proof::NxDomain { closest_encloser: ce })
    }

    /// RFC 5155 §8.5-8.7 (with erratum 3441): a matching NSEC3 lacking the
    /// type; else a wildcard lacking it; else, when an opt-out span covers
    /// the next closer name (for DS, or an empty non-terminal above an
    /// unsigned delegation, erratum 3441), [`Proof::OptOut`]: insecure,
    /// never a proven NODATA.
    pub(crate) fn nodata(&self, h: &mut dyn Nsec3Hasher, qname: &Name, qtype: RType) -> Result<Proof, DenialError> {
        let qh = self.hash(h, qname)?;
        if let Some(m) = self.matching(&qh) {
            check_bitmap_types(self.zone, qname, &m.rd.types, qtype)?;
            return Ok(Proof::NoData);
        }
        let (ce, cover) = self.closest_encloser(h, qname)?;
        let Some(cover) = cover else {
            return Err(DenialError::NoMatch { name: qname.clone() });
        };
        if qtype != RType::DS {
            let wildcard = ce.wildcard().map_err(|_| DenialError::NoMatch { name: qname.clone() })?;
            let wh = self.hash(h, &wildcard)?;
            if let Some(m) = self.matching(&wh) {
                check_bitmap_types(self.zone, &wildcard, &m.rd.types, qtype)?;
                // An opt-out span over the next closer name leaves room for
                // an unsigned delegation there: insecure, as Unbound and Knot say.
                if cover.rd.opt_out() {
                    return Ok(Proof::OptOut);
                }
                return Ok(Proof::WildcardNoData { wildcard });
            }
        }
        if cover.rd.opt_out() { Ok(Proof::OptOut) } else { Err(DenialError::NoMatch { name: qname.clone() }) }
    }

    /// RFC 5155 §8.8: the next closer name below the wildcard's parent is covered.
    pub(crate) fn wildcard_answer(
        &self,
        h: &mut dyn Nsec3Hasher,
        qname: &Name,
        labels: usize,
    ) -> Result<Proof, DenialError> {
        let next_closer = qname.trim_to(labels + 1);
        let nh = self.hash(h, &next_closer)?;
        if self.matching(&nh).is_some() {
            return Err(DenialError::CloserMatch { name: qname.clone(), closest_encloser: next_closer });
        }
        let Some(cover) = self.covering(&nh) else {
            return Err(DenialError::NextCloserNotCovered { next_closer, hash: base32hex_encode(&nh).to_lowercase() });
        };
        // Covered by an opt-out span: an unsigned delegation may sit at the
        // next closer name, so the expansion is not proven (insecure).
        if cover.rd.opt_out() {
            return Ok(Proof::OptOut);
        }
        Ok(Proof::WildcardAnswer)
    }

    /// RFC 5155 §8.6 for a referral: the delegation's NSEC3 has NS and no
    /// DS, or an opt-out span covers its next closer name.
    pub(crate) fn no_ds(&self, h: &mut dyn Nsec3Hasher, delegation: &Name) -> Result<Proof, DenialError> {
        let dh = self.hash(h, delegation)?;
        if let Some(m) = self.matching(&dh) {
            delegation_bitmap(delegation, &m.rd.types)?;
            return Ok(Proof::NoDs);
        }
        match self.closest_encloser(h, delegation)? {
            (_, Some(cover)) if cover.rd.opt_out() => Ok(Proof::OptOut),
            _ => Err(DenialError::NoMatch { name: delegation.clone() }),
        }
    }
}
