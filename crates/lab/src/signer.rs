//! A zone signer: keys from a seed, RRSIGs over every authoritative RRset,
//! an NSEC or NSEC3 chain, and the DS set for the parent.

use std::collections::{BTreeMap, BTreeSet};

use candor_crypto::{SignError, SigningKey, make_ds, nsec3_hash};
use candor_wire::text::base32hex_encode;
use candor_wire::{Algorithm, Dnskey, Ds, Name, Nsec, Nsec3, Nsec3Param, RData, RType, Record, TypeBitmap};

use crate::LabError;

/// Which keys sign the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLayout {
    /// One combined signing key (flags 257) signs everything.
    Csk,
    /// A KSK (257) signs the DNSKEY RRset, a ZSK (256) everything else.
    KskZsk,
}

/// How the zone denies existence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// An NSEC chain.
    Nsec,
    /// An NSEC3 chain with an NSEC3PARAM at the apex.
    Nsec3 {
        /// Salt.
        salt: Vec<u8>,
        /// Extra iterations.
        iterations: u16,
        /// Leave unsigned delegations out of the chain (RFC 5155 §6).
        opt_out: bool,
    },
}

/// Everything that decides the signed zone: the same options and records
/// always give the same zone.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Key algorithm.
    pub algorithm: Algorithm,
    /// Key layout.
    pub layout: KeyLayout,
    /// Denial of existence.
    pub denial: Denial,
    /// Signature inception (seconds since the epoch, modulo 2^32).
    pub inception: u32,
    /// Signature expiration.
    pub expiration: u32,
    /// Seed the keys derive from.
    pub seed: Vec<u8>,
}

/// A zone's keys.
#[derive(Debug, Clone)]
pub struct ZoneKeys {
    /// The key signing the DNSKEY RRset (the CSK in a CSK layout).
    pub ksk: SigningKey,
    /// The key signing the rest, when separate.
    pub zsk: Option<SigningKey>,
}

impl ZoneKeys {
    /// Make the keys for `opts` (deterministic from the seed and zone name).
    pub fn generate(origin: &Name, opts: &SignOptions) -> Result<ZoneKeys, SignError> {
        let seed = |role: &str| {
            let mut s = opts.seed.clone();
            s.extend_from_slice(origin.to_lowercase().as_wire());
            s.extend_from_slice(role.as_bytes());
            s
        };
        let ksk = SigningKey::from_seed(opts.algorithm, &seed("ksk"))?;
        let zsk = match opts.layout {
            KeyLayout::Csk => None,
            KeyLayout::KskZsk => Some(SigningKey::from_seed(opts.algorithm, &seed("zsk"))?),
        };
        Ok(ZoneKeys { ksk, zsk })
    }

    /// The DNSKEY records' rdata: the KSK/CSK (257), then the ZSK (256).
    pub fn dnskeys(&self) -> Vec<Dnskey> {
        let mut v = vec![self.ksk.dnskey(257)];
        if let Some(z) = &self.zsk {
            v.push(z.dnskey(256));
        }
        v
    }

    /// The key and flags that sign RRsets other than DNSKEY.
    pub fn data_signer(&self) -> (&SigningKey, u16) {
        match &self.zsk {
            Some(z) => (z, 256),
            None => (&self.ksk, 257),
        }
    }
}

/// A signed zone.
#[derive(Debug, Clone)]
pub struct SignedZone {
    /// The apex.
    pub origin: Name,
    /// Every record, RRSIGs and denial records included.
    pub records: Vec<Record>,
    /// The DS set (digest type 2) for the KSK, for the parent.
    pub ds: Vec<Ds>,
    /// The keys, for re-signing after a breakage.
    pub keys: ZoneKeys,
    /// The options it was signed with.
    pub options: SignOptions,
}

/// Names at or below a zone cut other than the apex: delegation points
/// (NS at a non-apex name) and the glue below them.
struct Cuts {
    delegations: BTreeSet<Name>,
}

impl Cuts {
    fn new(origin: &Name, records: &[Record]) -> Cuts {
        let delegations =
            records.iter().filter(|r| r.rtype() == RType::NS && r.owner != *origin).map(|r| r.owner.clone()).collect();
        Cuts { delegations }
    }

    /// Strictly below a delegation point: glue or occluded, never signed.
    fn is_glue(&self, name: &Name) -> bool {
        self.delegations.iter().any(|d| name != d && name.is_subdomain_of(d))
    }

    fn is_delegation(&self, name: &Name) -> bool {
        self.delegations.contains(name)
    }
}

/// Records grouped by (owner, type) in canonical order.
type RrSets = BTreeMap<(Name, RType), Vec<Record>>;

fn rrsets(records: &[Record]) -> RrSets {
    let mut m: RrSets = BTreeMap::new();
    for r in records {
        m.entry((r.owner.clone(), r.rtype())).or_default().push(r.clone());
    }
    m
}

/// Sign `records` (the zone's data, without DNSKEY, RRSIG or denial records)
/// as zone `origin`.
pub fn sign_zone(origin: &Name, records: &[Record], opts: &SignOptions) -> Result<SignedZone, LabError> {
    let keys = ZoneKeys::generate(origin, opts)?;
    let soa = records
        .iter()
        .find_map(|r| match &r.data {
            RData::Soa(s) if r.owner == *origin => Some((r.ttl, s.minimum)),
            _ => None,
        })
        .ok_or_else(|| LabError::NoSoa(origin.clone()))?;
    let neg_ttl = soa.0.min(soa.1);
    let key_ttl = soa.0;
    let mut data: Vec<Record> = records
        .iter()
        .filter(|r| !matches!(r.rtype(), RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::NSEC3PARAM | RType::DNSKEY))
        .cloned()
        .collect();
    for k in keys.dnskeys() {
        data.push(Record::new(origin.clone(), key_ttl, RData::Dnskey(k)));
    }
    if let Denial::Nsec3 { salt, iterations, .. } = &opts.denial {
        let p = Nsec3Param { hash_algorithm: 1, flags: 0, iterations: *iterations, salt: salt.clone() };
        data.push(Record::new(origin.clone(), 0, RData::Nsec3param(p)));
    }
    let cuts = Cuts::new(origin, &data);
    let mut denial = match &opts.denial {
        Denial::Nsec => nsec_chain(origin, &data, &cuts, neg_ttl),
        Denial::Nsec3 { salt, iterations, opt_out } => {
            nsec3_chain(origin, &data, &cuts, neg_ttl, salt, *iterations, *opt_out)?
        }
    };
    data.append(&mut denial);
    let sets: Vec<_> = rrsets(&data).into_iter().collect();
    // Large zones (the benchmark's) are signed on every core, in order.
    let threads = if sets.len() < 512 { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    let chunk = sets.len().div_ceil(threads).max(1);
    let sign_chunk = |part: &[((Name, RType), Vec<Record>)]| -> Result<Vec<Record>, LabError> {
        let mut out = Vec::with_capacity(part.len() * 3);
        for ((owner, rtype), set) in part {
            // Glue and the NS RRset at a delegation belong to the child: unsigned.
            let unsigned = cuts.is_glue(owner) || (*rtype == RType::NS && cuts.is_delegation(owner));
            out.extend(set.iter().cloned());
            if !unsigned {
                out.push(sign_rrset(&keys, origin, set, *rtype, opts.inception, opts.expiration)?);
            }
        }
        Ok(out)
    };
    let parts: Vec<Result<Vec<Record>, LabError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sets.chunks(chunk).map(|part| scope.spawn(move || sign_chunk(part))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(LabError::SignerPanicked(origin.clone()))))
            .collect()
    });
    let mut out = Vec::with_capacity(data.len() * 2);
    for part in parts {
        out.extend(part?);
    }
    let ds = vec![make_ds(origin, &keys.ksk.dnskey(257), 2).map_err(|_| LabError::Unsupported)?];
    Ok(SignedZone { origin: origin.clone(), records: out, ds, keys, options: opts.clone() })
}

/// The RRSIG record for one RRset, signed by the right key.
pub fn sign_rrset(
    keys: &ZoneKeys,
    origin: &Name,
    set: &[Record],
    rtype: RType,
    inception: u32,
    expiration: u32,
) -> Result<Record, LabError> {
    let (key, flags) = if rtype == RType::DNSKEY { (&keys.ksk, 257) } else { keys.data_signer() };
    let sig = key.sign_rrset(set, origin, flags, inception, expiration)?;
    let first = set.first().ok_or(LabError::EmptyRrset)?;
    Ok(Record::new(first.owner.clone(), first.ttl, RData::Rrsig(sig)))
}

/// Types at each name that the chain must list (glue excluded).
fn types_by_name(data: &[Record], cuts: &Cuts) -> BTreeMap<Name, BTreeSet<RType>> {
    let mut m: BTreeMap<Name, BTreeSet<RType>> = BTreeMap::new();
    for r in data.iter().filter(|r| !cuts.is_glue(&r.owner)) {
        m.entry(r.owner.clone()).or_default().insert(r.rtype());
    }
    m
}

fn nsec_chain(origin: &Name, data: &[Record], cuts: &Cuts, ttl: u32) -> Vec<Record> {
    let names = types_by_name(data, cuts);
    let owners: Vec<&Name> = names.keys().collect();
    (0..owners.len())
        .filter_map(|i| {
            let owner = *owners.get(i)?;
            let next = owners.get(i + 1).map(|n| (*n).clone()).unwrap_or_else(|| origin.clone());
            let mut types = names.get(owner)?.clone();
            types.insert(RType::NSEC);
            types.insert(RType::RRSIG);
            Some(Record::new(owner.clone(), ttl, RData::Nsec(Nsec { next, types: TypeBitmap::new(types) })))
        })
        .collect()
}

fn nsec3_chain(
    origin: &Name,
    data: &[Record],
    cuts: &Cuts,
    ttl: u32,
    salt: &[u8],
    iterations: u16,
    opt_out: bool,
) -> Result<Vec<Record>, LabError> {
    let names = types_by_name(data, cuts);
    // Opt-out leaves unsigned delegations (no DS) out of the chain.
    let included: Vec<(&Name, &BTreeSet<RType>)> =
        names.iter().filter(|(n, t)| !(opt_out && cuts.is_delegation(n) && !t.contains(&RType::DS))).collect();
    // Every existing name and the empty non-terminals above it.
    let mut all: BTreeMap<Name, BTreeSet<RType>> = BTreeMap::new();
    for (name, types) in &included {
        for a in name.ancestors().take_while(|a| a.is_subdomain_of(origin)) {
            all.entry(a).or_default();
        }
        let mut t = (*types).clone();
        let unsigned_delegation = cuts.is_delegation(name) && !t.contains(&RType::DS);
        if !unsigned_delegation {
            t.insert(RType::RRSIG);
        }
        all.insert((*name).clone(), t);
    }
    let mut hashed: Vec<([u8; 20], BTreeSet<RType>)> =
        all.into_iter().map(|(n, t)| (nsec3_hash(&n, salt, iterations), t)).collect();
    hashed.sort_by_key(|a| a.0);
    let mut out = Vec::with_capacity(hashed.len());
    for i in 0..hashed.len() {
        let (Some((h, types)), Some((next, _))) = (hashed.get(i), hashed.get((i + 1) % hashed.len())) else {
            continue;
        };
        let owner = origin.prepend(base32hex_encode(h).to_lowercase().as_bytes())?;
        let rd = Nsec3 {
            hash_algorithm: 1,
            flags: u8::from(opt_out),
            iterations,
            salt: salt.to_vec(),
            next_hashed: next.to_vec(),
            types: TypeBitmap::new(types.iter().copied()),
        };
        out.push(Record::new(owner, ttl, RData::Nsec3(rd)));
    }
    Ok(out)
}
