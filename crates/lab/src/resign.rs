//! Re-signing after a breakage: which RRset an RRSIG covers, an RRset
//! signed again with given keys, the keys that sign a zone's DNSKEY RRset.

use candor_crypto::SigningKey;
use candor_wire::{Name, RData, RType, Record};

use crate::LabError;
use crate::signer::SignedZone;

/// The type an RRSIG record covers (`None` for other records).
pub(crate) fn covered(r: &Record) -> Option<RType> {
    match &r.data {
        RData::Rrsig(s) => Some(s.type_covered),
        _ => None,
    }
}

/// Re-sign one RRset (replacing its RRSIGs) with the given keys and flags.
pub(crate) fn resign(
    zone: &mut SignedZone,
    owner: &Name,
    rtype: RType,
    signers: &[(SigningKey, u16)],
    inc: u32,
    exp: u32,
) -> Result<(), LabError> {
    let set: Vec<Record> = zone.records.iter().filter(|r| r.owner == *owner && r.rtype() == rtype).cloned().collect();
    zone.records.retain(|r| !(r.owner == *owner && covered(r) == Some(rtype)));
    if set.is_empty() {
        return Ok(());
    }
    for (key, flags) in signers {
        let sig = key.sign_rrset(&set, &zone.origin, *flags, inc, exp)?;
        zone.records.push(Record::new(owner.clone(), set.first().map_or(0, |r| r.ttl), RData::Rrsig(sig)));
    }
    Ok(())
}

/// The keys (with their flags) that sign the DNSKEY RRset: the KSK, and the ZSK if any.
pub(crate) fn dnskey_signers(zone: &SignedZone) -> Vec<(SigningKey, u16)> {
    let mut v = vec![(zone.keys.ksk.clone(), 257)];
    if let Some(z) = &zone.keys.zsk {
        v.push((z.clone(), 256));
    }
    v
}
