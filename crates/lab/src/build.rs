//! Building the lab: the root, the TLDs and one zone per case, each with
//! its own loopback address, signed and then broken as the case says.

use std::net::Ipv4Addr;

use candor_crypto::{SigningKey, key_tag, make_ds};
use candor_wire::text::parse_zone;
use candor_wire::{Algorithm, Dnskey, Ds, Name, RData, RType, Record};

use crate::LabError;
use crate::authority::Behavior;
use crate::bench::{BENCH13, BenchZone};
use crate::cases::cases;
use crate::catalog::{Breakage, Build, Case, DsSpec, KeyRole, case};
use crate::resign::{covered, dnskey_signers, resign};
use crate::signer::{Denial, KeyLayout, SignOptions, SignedZone, ZoneKeys, sign_zone};

const DAY: i64 = 86_400;

/// Where and when the lab is built.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// First address of the block (default 127.53.0.0); zone `i` gets `block + i`.
    pub block: Ipv4Addr,
    /// The port every lab server listens on.
    pub port: u16,
    /// The lab's time (seconds since the epoch): signatures are valid from
    /// a day before it to 30 days after, breakages are relative to it.
    pub now: u64,
    /// Seed of every key.
    pub seed: Vec<u8>,
    /// Names in each benchmark zone (0: no such zone): each
    /// `nNNNNNN.bench.test.` has its own signed A record, so resolving them
    /// all costs one verification each.
    pub bench_names: usize,
    /// The benchmark zones built when there are bench names (default
    /// `bench.test.` alone; [`crate::BENCH_ZONES`] has them all: other
    /// algorithms, NSEC3, bogus answers).
    pub bench_zones: Vec<BenchZone>,
}

impl LabConfig {
    /// The defaults, at time `now`.
    pub fn new(now: u64) -> LabConfig {
        LabConfig {
            block: Ipv4Addr::new(127, 53, 0, 0),
            port: 53,
            now,
            seed: b"candor-lab".to_vec(),
            bench_names: 0,
            bench_zones: vec![BENCH13],
        }
    }

    fn addr(&self, i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.block).wrapping_add(i))
    }

    fn at(&self, offset: i64) -> u32 {
        (self.now as i64 + offset).rem_euclid(1 << 32) as u32
    }
}

/// One zone of the lab, as served.
#[derive(Debug, Clone)]
pub struct LabZone {
    /// The apex.
    pub origin: Name,
    /// The records served (signed or not).
    pub records: Vec<Record>,
    /// The server's address, or `None` when nothing listens for it.
    pub addr: Option<Ipv4Addr>,
    /// How the server behaves.
    pub behavior: Behavior,
}

impl LabZone {
    /// The zone's own DNSKEYs (none when it is unsigned).
    pub fn dnskeys(&self) -> Vec<candor_wire::Dnskey> {
        self.records
            .iter()
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) => Some(k.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The whole lab: zones, the root's trust anchor and the case list.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Every zone, the root first.
    pub zones: Vec<LabZone>,
    /// The root's DS (the lab's trust anchor).
    pub root_ds: Vec<Ds>,
    /// The cases, with their query names made absolute.
    pub cases: Vec<(Case, Name)>,
    /// The configuration it was built with.
    pub config: LabConfig,
}

fn opts(cfg: &LabConfig, algorithm: Algorithm, layout: KeyLayout, denial: Denial) -> SignOptions {
    SignOptions {
        algorithm,
        layout,
        denial,
        inception: cfg.at(-DAY),
        expiration: cfg.at(30 * DAY),
        seed: cfg.seed.clone(),
    }
}

fn zone_text(origin: &Name, addr: Ipv4Addr, body: &str) -> Result<Vec<Record>, LabError> {
    let text = format!("$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A {addr}\n{body}");
    Ok(parse_zone(&text, Some(origin))?)
}

/// A delegation from a parent: NS, glue, DS.
struct Delegation {
    child: Name,
    glue: String,
    ds: Vec<Ds>,
}

fn delegation_records(origin: &Name, d: &[Delegation]) -> Result<String, LabError> {
    let mut s = String::new();
    for x in d {
        let rel = x.child.to_string();
        s.push_str(&format!("{rel} NS ns.{rel}\nns.{rel} A {}\n", x.glue));
        for ds in &x.ds {
            let r = Record::new(x.child.clone(), 3600, RData::Ds(ds.clone()));
            s.push_str(&format!("{r}\n"));
        }
    }
    let _ = origin;
    Ok(s)
}

impl Lab {
    /// Build every zone of the catalogue.
    pub fn build(cfg: LabConfig) -> Result<Lab, LabError> {
        let mut zones = Vec::new();
        let mut test_children = Vec::new();
        let mut case_list = Vec::new();
        let test: Name = "test.".parse()?;
        let mut next_addr = 10u32;
        for case in cases() {
            let origin = test.prepend(case.name.as_bytes())?;
            let addr = cfg.addr(next_addr);
            next_addr += 1;
            let child = match case.unsigned_child {
                Some(label) => {
                    let child_origin = origin.prepend(label.as_bytes())?;
                    let child_addr = cfg.addr(next_addr);
                    next_addr += 1;
                    let records = zone_text(&child_origin, child_addr, "@ A 192.0.2.1\nwww A 192.0.2.80\n")?;
                    zones.push(LabZone {
                        origin: child_origin,
                        records,
                        addr: Some(child_addr),
                        behavior: Behavior::default(),
                    });
                    Some((label, child_addr))
                }
                None => None,
            };
            let (zone, ds) = build_case(&cfg, &case, &origin, addr, child)?;
            test_children.push(Delegation {
                child: origin.clone(),
                glue: case.glue.map_or_else(|| addr.to_string(), str::to_owned),
                ds,
            });
            zones.push(LabZone {
                origin: origin.clone(),
                records: zone,
                addr: case.listening.then_some(addr),
                behavior: case.behavior,
            });
            let qname = if case.qname == "@" { origin.clone() } else { Name::from_text(&case.qname, Some(&origin))? };
            case_list.push((case, qname));
        }
        // Extra zones: a CNAME chain across two secure zones, a CNAME into
        // a bogus zone, and the seed's LAN-looking zone (data only).
        let mut com_children = Vec::new();
        let mut net_children = Vec::new();
        let target: Name = "target.net.".parse()?;
        let addr = cfg.addr(next_addr);
        next_addr += 1;
        let (z, ds) = simple_signed(&cfg, &target, addr, "@ A 192.0.2.1\nwww A 192.0.2.81\n")?;
        zones.push(LabZone { origin: target.clone(), records: z, addr: Some(addr), behavior: Behavior::default() });
        net_children.push(Delegation { child: target.clone(), glue: addr.to_string(), ds });
        for (label, body, qname, verdict, ede, kind, what) in [
            (
                "cname-chain",
                "@ A 192.0.2.1\nwww CNAME www.target.net.\n",
                "www",
                crate::Verdict::Secure,
                None,
                "valid",
                "a CNAME from one secure zone to another, both links validated",
            ),
            (
                "cname-to-bogus",
                "@ A 192.0.2.1\nwww CNAME rrsig-exp-all.test.\n",
                "www",
                crate::Verdict::Bogus,
                Some(7),
                "signature-expired",
                "a CNAME from a secure zone into a zone whose signatures expired",
            ),
        ] {
            let origin = test.prepend(label.as_bytes())?;
            let addr = cfg.addr(next_addr);
            next_addr += 1;
            let (z, ds) = simple_signed(&cfg, &origin, addr, body)?;
            zones.push(LabZone { origin: origin.clone(), records: z, addr: Some(addr), behavior: Behavior::default() });
            test_children.push(Delegation { child: origin.clone(), glue: addr.to_string(), ds });
            let mut c = case(label, verdict, ede, kind, what);
            c.qname = qname.to_owned();
            case_list.push((c, Name::from_text(qname, Some(&origin))?));
        }
        for b in cfg.bench_zones.iter().filter(|_| cfg.bench_names > 0) {
            let origin = test.prepend(b.label.as_bytes())?;
            let addr = cfg.addr(next_addr);
            next_addr += 1;
            let records = zone_text(&origin, addr, &b.body(cfg.bench_names))?;
            let denial =
                if b.nsec3 { Denial::Nsec3 { salt: Vec::new(), iterations: 0, opt_out: false } } else { Denial::Nsec };
            let mut signed = sign_zone(&origin, &records, &opts(&cfg, b.algorithm, KeyLayout::KskZsk, denial))?;
            if b.bogus {
                // The names' signatures, not the name server's address.
                let ns = origin.prepend(b"ns")?;
                for r in &mut signed.records {
                    if let RData::Rrsig(s) = &mut r.data
                        && s.type_covered == RType::A
                        && r.owner != ns
                        && let Some(o) = s.signature.get_mut(5)
                    {
                        *o ^= 0x5a;
                    }
                }
            }
            let z = signed.records;
            zones.push(LabZone { origin: origin.clone(), records: z, addr: Some(addr), behavior: Behavior::default() });
            test_children.push(Delegation { child: origin, glue: addr.to_string(), ds: signed.ds });
        }
        let lan: Name = "solvethenetwork.com.".parse()?;
        let addr = cfg.addr(next_addr);
        let (z, ds) = simple_signed(&cfg, &lan, addr, "@ A 192.168.10.45\nwww A 192.168.10.45\n")?;
        zones.push(LabZone { origin: lan.clone(), records: z, addr: Some(addr), behavior: Behavior::default() });
        com_children.push(Delegation { child: lan.clone(), glue: addr.to_string(), ds });
        let mut lan_case = case(
            "solvethenetwork.com.",
            crate::Verdict::Secure,
            None,
            "valid",
            "the seed's zone: A 192.168.10.45 at the apex and www (data only; nothing contacts it)",
        );
        lan_case.qname = "www".to_owned();
        case_list.push((lan_case, Name::from_text("www", Some(&lan))?));

        // The TLDs, then the root.
        let mut root_children = Vec::new();
        for (i, (tld, children)) in
            [("test.", test_children), ("com.", com_children), ("net.", net_children)].into_iter().enumerate()
        {
            let origin: Name = tld.parse()?;
            let addr = cfg.addr(2 + i as u32);
            let body = delegation_records(&origin, &children)?;
            let records = zone_text(&origin, addr, &body)?;
            let signed =
                sign_zone(&origin, &records, &opts(&cfg, Algorithm::ECDSAP256SHA256, KeyLayout::KskZsk, Denial::Nsec))?;
            root_children.push(Delegation { child: origin.clone(), glue: addr.to_string(), ds: signed.ds.clone() });
            zones.push(LabZone { origin, records: signed.records, addr: Some(addr), behavior: Behavior::default() });
        }
        let root = Name::root();
        let root_addr = cfg.addr(1);
        let mut body = delegation_records(&root, &root_children)?;
        body.push_str(&format!("ns.lab-root. A {root_addr}\n"));
        let text = format!(
            "$TTL 86400\n. SOA ns.lab-root. hostmaster.lab-root. 1 1800 900 604800 86400\n. NS ns.lab-root.\n{body}"
        );
        let records = parse_zone(&text, Some(&root))?;
        let signed =
            sign_zone(&root, &records, &opts(&cfg, Algorithm::ECDSAP256SHA256, KeyLayout::KskZsk, Denial::Nsec))?;
        let root_ds = signed.ds.clone();
        zones.insert(
            0,
            LabZone { origin: root, records: signed.records, addr: Some(root_addr), behavior: Behavior::default() },
        );
        Ok(Lab { zones, root_ds, cases: case_list, config: cfg })
    }
}

fn simple_signed(
    cfg: &LabConfig,
    origin: &Name,
    addr: Ipv4Addr,
    body: &str,
) -> Result<(Vec<Record>, Vec<Ds>), LabError> {
    let records = zone_text(origin, addr, body)?;
    let signed = sign_zone(origin, &records, &opts(cfg, Algorithm::ECDSAP256SHA256, KeyLayout::KskZsk, Denial::Nsec))?;
    Ok((signed.records, signed.ds))
}

/// Build one case's zone; returns its records and the DS set its parent publishes.
fn build_case(
    cfg: &LabConfig,
    case: &Case,
    origin: &Name,
    addr: Ipv4Addr,
    child: Option<(&str, Ipv4Addr)>,
) -> Result<(Vec<Record>, Vec<Ds>), LabError> {
    let mut body =
        format!("@ 300 A 192.0.2.1\nwww 300 A 192.0.2.80\n@ 300 TXT \"candor lab case {}\"\n{}", case.name, case.extra);
    if let Some((label, child_addr)) = child {
        body.push_str(&format!("{label} NS ns.{label}\nns.{label} A {child_addr}\n"));
    }
    let records = zone_text(origin, addr, &body)?;
    let (algorithm, csk, nsec3) = match &case.build {
        Build::Unsigned => {
            // A DS the parent keeps although the child is not signed.
            let o = opts(cfg, Algorithm::ECDSAP256SHA256, KeyLayout::KskZsk, Denial::Nsec);
            let keys = ZoneKeys::generate(origin, &o)?;
            let ds = make_ds(origin, &keys.ksk.dnskey(257), 2).map_err(|_| LabError::Unsupported)?;
            let ds = if case.ds == DsSpec::None { Vec::new() } else { vec![ds] };
            return Ok((records, ds));
        }
        Build::Signed { algorithm, csk, nsec3 } => (*algorithm, *csk, nsec3.clone()),
    };
    let denial = match nsec3 {
        Some((salt, iterations, opt_out)) => Denial::Nsec3 { salt, iterations, opt_out },
        None => Denial::Nsec,
    };
    let layout = if csk { KeyLayout::Csk } else { KeyLayout::KskZsk };
    let mut zone = sign_zone(origin, &records, &opts(cfg, algorithm, layout, denial))?;
    let qname = if case.qname == "@" { origin.clone() } else { Name::from_text(&case.qname, Some(origin))? };
    let mut ds = zone.ds.clone();
    for b in &case.breakage {
        if let Some(new_ds) = apply(cfg, &mut zone, b, &qname)? {
            ds = new_ds;
        }
    }
    let ds = parent_ds(&ds, case.ds);
    Ok((zone.records, ds))
}

fn parent_ds(good: &[Ds], spec: DsSpec) -> Vec<Ds> {
    let Some(first) = good.first() else { return Vec::new() };
    let mut d = first.clone();
    match spec {
        DsSpec::Good => return good.to_vec(),
        DsSpec::None => return Vec::new(),
        DsSpec::BadTag => d.key_tag = d.key_tag.wrapping_add(1),
        DsSpec::KeyAlgorithm(a) => d.algorithm = Algorithm(a),
        DsSpec::DigestType(t) => d.digest_type = t,
        DsSpec::BogusDigest => flip(&mut d.digest),
        DsSpec::BogusNextToGood => {
            flip(&mut d.digest);
            return vec![d, first.clone()];
        }
    }
    vec![d]
}

fn flip(b: &mut [u8]) {
    if let Some(x) = b.get_mut(b.len() / 2) {
        *x ^= 0x5a;
    }
}

fn tag_of(r: &Record) -> Option<u16> {
    match &r.data {
        RData::Rrsig(s) => Some(s.key_tag),
        _ => None,
    }
}

fn role_key(zone: &SignedZone, role: KeyRole) -> (SigningKey, u16) {
    match (role, &zone.keys.zsk) {
        (KeyRole::Zsk, Some(z)) => (z.clone(), 256),
        _ => (zone.keys.ksk.clone(), 257),
    }
}

/// The published DNSKEY rdata of a role, by its key tag at signing time.
fn dnskey_index(zone: &SignedZone, role: KeyRole) -> Option<usize> {
    let (key, flags) = role_key(zone, role);
    let want = key.dnskey(flags);
    zone.records.iter().position(|r| matches!(&r.data, RData::Dnskey(k) if *k == want))
}

fn dnskey_mut(zone: &mut SignedZone, role: KeyRole) -> Option<&mut Dnskey> {
    let i = dnskey_index(zone, role)?;
    match zone.records.get_mut(i).map(|r| &mut r.data) {
        Some(RData::Dnskey(k)) => Some(k),
        _ => None,
    }
}

/// Every signed RRset (owner, type) of the zone.
fn signed_rrsets(zone: &SignedZone) -> Vec<(Name, RType)> {
    let mut v: Vec<(Name, RType)> =
        zone.records.iter().filter_map(|r| covered(r).map(|t| (r.owner.clone(), t))).collect();
    v.sort();
    v.dedup();
    v
}

/// Apply one breakage; returns a new DS set when the published KSK changed
/// in a way its operator would have re-published the DS for.
fn apply(cfg: &LabConfig, zone: &mut SignedZone, b: &Breakage, qname: &Name) -> Result<Option<Vec<Ds>>, LabError> {
    let (inc, exp) = (zone.options.inception, zone.options.expiration);
    match b {
        Breakage::Window { rtype, inception, expiration } => {
            for (owner, t) in signed_rrsets(zone) {
                if rtype.is_none_or(|x| x == t) {
                    let signers = if t == RType::DNSKEY { dnskey_signers(zone) } else { vec![data_signer(zone)] };
                    resign(zone, &owner, t, &signers, cfg.at(*inception), cfg.at(*expiration))?;
                }
            }
        }
        Breakage::DropRrsigs(rtype) => zone.records.retain(|r| match covered(r) {
            Some(t) => rtype.is_some_and(|x| x != t),
            None => true,
        }),
        Breakage::DropDnskeyRrsigBy(role) => {
            let (key, flags) = role_key(zone, *role);
            let tag = key_tag(&key.dnskey(flags));
            zone.records.retain(|r| !(covered(r) == Some(RType::DNSKEY) && tag_of(r) == Some(tag)));
        }
        Breakage::CorruptRrsig(rtype, role) => {
            let tag = role.map(|ro| {
                let (k, f) = role_key(zone, ro);
                key_tag(&k.dnskey(f))
            });
            for r in &mut zone.records {
                if let RData::Rrsig(s) = &mut r.data
                    && s.type_covered == *rtype
                    && tag.is_none_or(|t| t == s.key_tag)
                {
                    flip(&mut s.signature);
                }
            }
        }
        Breakage::DropKey(role) => {
            if let Some(i) = dnskey_index(zone, *role) {
                zone.records.remove(i);
            }
            let other = if *role == KeyRole::Ksk { KeyRole::Zsk } else { KeyRole::Ksk };
            let signer = role_key(zone, other);
            let origin = zone.origin.clone();
            resign(zone, &origin, RType::DNSKEY, &[signer], inc, exp)?;
        }
        Breakage::DropDnskeyRrset => {
            zone.records.retain(|r| r.rtype() != RType::DNSKEY && covered(r) != Some(RType::DNSKEY));
        }
        Breakage::KeyFlags(role, flags) => {
            let (key, old) = role_key(zone, *role);
            if let Some(k) = dnskey_mut(zone, *role) {
                k.flags = *flags;
            }
            // Re-sign everything the key signed, under its new flags (and tag).
            let old_tag = key_tag(&key.dnskey(old));
            let mut keys = role_signers(zone);
            for k in &mut keys {
                if key_tag(&k.0.dnskey(k.1)) == old_tag {
                    k.1 = *flags;
                }
            }
            resign_all(zone, &keys)?;
            if *role == KeyRole::Ksk {
                return Ok(Some(vec![
                    make_ds(&zone.origin, &key.dnskey(*flags), 2).map_err(|_| LabError::Unsupported)?,
                ]));
            }
        }
        Breakage::KeyAlgorithm(role, alg) => {
            if let Some(k) = dnskey_mut(zone, *role) {
                k.algorithm = Algorithm(*alg);
            }
            // The DNSKEY RRset changed: the KSK signs it again (with the true keys).
            let origin = zone.origin.clone();
            let ksk = (zone.keys.ksk.clone(), 257);
            resign(zone, &origin, RType::DNSKEY, &[ksk], inc, exp)?;
        }
        Breakage::CorruptKey(role) => {
            if let Some(k) = dnskey_mut(zone, *role) {
                corrupt_keeping_tag(k);
            }
            let origin = zone.origin.clone();
            let signers = dnskey_signers(zone);
            resign(zone, &origin, RType::DNSKEY, &signers, inc, exp)?;
        }
        Breakage::RevokeKsk => {
            let revoked = 257 | Dnskey::REVOKE;
            if let Some(k) = dnskey_mut(zone, KeyRole::Ksk) {
                k.flags = revoked;
            }
            let origin = zone.origin.clone();
            let mut signers = dnskey_signers(zone);
            if let Some(s) = signers.first_mut() {
                s.1 = revoked;
            }
            resign(zone, &origin, RType::DNSKEY, &signers, inc, exp)?;
        }
        Breakage::Nsec3BadHash | Breakage::Nsec3BadNext | Breakage::Nsec3Gap | Breakage::Nsec3SaltMismatch => {
            let Some(i) = nsec3_covering(zone, qname) else { return Ok(None) };
            let h = nsec3_param_hash(zone, qname);
            let mut rec = zone.records.remove(i);
            let old_owner = rec.owner.clone();
            zone.records.retain(|r| !(r.owner == old_owner && covered(r) == Some(RType::NSEC3)));
            if *b == Breakage::Nsec3Gap {
                return Ok(None);
            }
            if let RData::Nsec3(n) = &mut rec.data {
                match b {
                    Breakage::Nsec3BadHash => {
                        let mut owner_hash = h;
                        bump(&mut owner_hash, 1);
                        rec.owner = zone
                            .origin
                            .prepend(candor_wire::text::base32hex_encode(&owner_hash).to_lowercase().as_bytes())?;
                    }
                    Breakage::Nsec3BadNext => {
                        let mut next = h;
                        bump(&mut next, -1);
                        n.next_hashed = next.to_vec();
                    }
                    _ => n.salt = vec![0x01, 0x02, 0x03],
                }
            }
            let owner = rec.owner.clone();
            zone.records.push(rec);
            let signer = data_signer(zone);
            resign(zone, &owner, RType::NSEC3, &[signer], inc, exp)?;
        }
        Breakage::DropNsec3 => zone.records.retain(|r| r.rtype() != RType::NSEC3 && covered(r) != Some(RType::NSEC3)),
        Breakage::DropNsec3Rrsigs => zone.records.retain(|r| covered(r) != Some(RType::NSEC3)),
        Breakage::CorruptNsec3Rrsigs => {
            for r in &mut zone.records {
                if let RData::Rrsig(s) = &mut r.data
                    && s.type_covered == RType::NSEC3
                {
                    flip(&mut s.signature);
                }
            }
        }
        Breakage::DropNsec3param => {
            zone.records.retain(|r| r.rtype() != RType::NSEC3PARAM && covered(r) != Some(RType::NSEC3PARAM))
        }
        Breakage::Nsec3paramBadSalt => {
            for r in &mut zone.records {
                if let RData::Nsec3param(p) = &mut r.data {
                    p.salt = vec![0xde, 0xad];
                }
            }
            let origin = zone.origin.clone();
            let signer = data_signer(zone);
            resign(zone, &origin, RType::NSEC3PARAM, &[signer], inc, exp)?;
        }
        Breakage::DropRrset(rel, rtype) => {
            let owner = Name::from_text(rel, Some(&zone.origin))?;
            zone.records.retain(|r| !(r.owner == owner && (r.rtype() == *rtype || covered(r) == Some(*rtype))));
        }
        Breakage::PlaceholderAlgorithm(alg) => return placeholder(zone, *alg).map(Some),
        Breakage::KeyTrap { keys, sigs } => crate::attack::key_trap(zone, *keys, *sigs)?,
        Breakage::SigFlood(sigs) => crate::attack::flood_sigs(zone, *sigs),
        Breakage::Rollover(state) => return crate::rollover::apply(zone, *state),
    }
    Ok(None)
}

fn data_signer(zone: &SignedZone) -> (SigningKey, u16) {
    let (k, f) = zone.keys.data_signer();
    (k.clone(), f)
}

/// The (key, flags) pairs of the zone as currently published.
fn role_signers(zone: &SignedZone) -> Vec<(SigningKey, u16)> {
    dnskey_signers(zone)
}

/// Re-sign every signed RRset with `keys`: the first signs DNSKEY (with
/// all), the data signer (the last) signs the rest.
fn resign_all(zone: &mut SignedZone, keys: &[(SigningKey, u16)]) -> Result<(), LabError> {
    let (inc, exp) = (zone.options.inception, zone.options.expiration);
    let data = keys.last().cloned().ok_or(LabError::EmptyRrset)?;
    for (owner, t) in signed_rrsets(zone) {
        if t == RType::DNSKEY {
            resign(zone, &owner, t, keys, inc, exp)?;
        } else {
            resign(zone, &owner, t, std::slice::from_ref(&data), inc, exp)?;
        }
    }
    Ok(())
}

/// Change two octets of the key so its key tag stays the same (the sum of
/// big-endian 16-bit words is unchanged) while the key itself is wrong.
fn corrupt_keeping_tag(k: &mut Dnskey) {
    let pk = &mut k.public_key;
    let n = pk.len();
    if n < 8 {
        return;
    }
    // Octets at the same parity carry the same weight in the tag sum.
    let (i, j) = (n - 6, n - 4);
    let (a, b) = (pk[i], pk[j]);
    if a < 0xff && b > 0 {
        pk[i] = a + 1;
        pk[j] = b - 1;
    } else {
        pk[i] = a.wrapping_sub(1);
        pk[j] = b.wrapping_add(1);
    }
}

fn nsec3_param_hash(zone: &SignedZone, name: &Name) -> [u8; 20] {
    let (salt, it) = match &zone.options.denial {
        Denial::Nsec3 { salt, iterations, .. } => (salt.clone(), *iterations),
        Denial::Nsec => (Vec::new(), 0),
    };
    candor_crypto::nsec3_hash(name, &salt, it)
}

/// Index of the NSEC3 whose span holds `name`'s hash.
fn nsec3_covering(zone: &SignedZone, name: &Name) -> Option<usize> {
    let h = nsec3_param_hash(zone, name);
    let mut best: Option<(usize, Vec<u8>)> = None;
    let mut last: Option<(usize, Vec<u8>)> = None;
    for (i, r) in zone.records.iter().enumerate() {
        if r.rtype() != RType::NSEC3 {
            continue;
        }
        let label = r.owner.first_label().and_then(|l| std::str::from_utf8(l).ok());
        let Some(oh) = label.and_then(candor_wire::text::base32hex_decode) else { continue };
        if oh.as_slice() < h.as_slice() && best.as_ref().is_none_or(|(_, b)| oh > *b) {
            best = Some((i, oh.clone()));
        }
        if last.as_ref().is_none_or(|(_, b)| oh > *b) {
            last = Some((i, oh));
        }
    }
    best.or(last).map(|(i, _)| i)
}

fn bump(h: &mut [u8; 20], by: i8) {
    for x in h.iter_mut().rev() {
        let (v, carry) = if by > 0 { x.overflowing_add(1) } else { x.overflowing_sub(1) };
        *x = v;
        if !carry {
            break;
        }
    }
}

/// Replace the keys and signatures with placeholders of an algorithm no
/// chosen crate signs: the key and signature octets are fixed filler of the
/// algorithm's usual size, so no validator can verify them.
fn placeholder(zone: &mut SignedZone, alg: u8) -> Result<Vec<Ds>, LabError> {
    let (key_len, sig_len) = match alg {
        16 => (57, 114),
        3 | 6 => (213, 41),
        _ => (131, 128),
    };
    let mut tags = Vec::new();
    let mut ksk = None;
    for (n, r) in zone.records.iter_mut().enumerate() {
        if let RData::Dnskey(k) = &mut r.data {
            let old = key_tag(k);
            k.algorithm = Algorithm(alg);
            k.public_key = (0..key_len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(n as u8)).collect();
            if alg == 1 {
                k.public_key[0] = 3;
            }
            tags.push((old, key_tag(k)));
            if k.is_sep() {
                ksk = Some(k.clone());
            }
        }
    }
    for r in &mut zone.records {
        if let RData::Rrsig(s) = &mut r.data {
            s.algorithm = Algorithm(alg);
            if let Some((_, new)) = tags.iter().find(|(old, _)| *old == s.key_tag) {
                s.key_tag = *new;
            }
            s.signature = (0..sig_len).map(|i| (i as u8).wrapping_mul(7)).collect();
        }
    }
    let ksk = ksk.ok_or(LabError::EmptyRrset)?;
    Ok(vec![make_ds(&zone.origin, &ksk, 2).map_err(|_| LabError::Unsupported)?])
}
