//! The authoritative answer logic: one zone, one query in, one response
//! out, as an authoritative server (NSD, BIND) answers. Pure: the sockets
//! are in `server`.

use std::collections::{BTreeMap, BTreeSet};

use candor_crypto::nsec3_hash;
use candor_wire::text::base32hex_decode;
use candor_wire::{Edns, Message, Name, Nsec3Param, Opcode, RData, RType, Rcode, Record};

/// How a lab server misbehaves, on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Behavior {
    /// Answer every query with REFUSED (`allow-query { none; }`).
    pub refuse: bool,
    /// Answer every query with SERVFAIL (a server whose zone failed to load).
    pub servfail: bool,
    /// Lame: not authoritative for the zone, answer every query with a
    /// referral back to the root, without AA.
    pub no_aa: bool,
    /// Set TC on every UDP answer, so only TCP gets data.
    pub tcp_only: bool,
    /// Send negative answers without their NSEC/NSEC3 records.
    pub strip_denial: bool,
    /// Send wildcard answers without the proof that no closer name exists.
    pub strip_wildcard_proof: bool,
}

/// One zone ready to answer queries.
#[derive(Debug, Clone)]
pub struct Authority {
    origin: Name,
    rrsets: BTreeMap<(Name, RType), Vec<Record>>,
    sigs: BTreeMap<(Name, RType), Vec<Record>>,
    /// Every owner name and every empty non-terminal above one.
    existing: BTreeSet<Name>,
    delegations: BTreeSet<Name>,
    nsec: Vec<Record>,
    /// NSEC3 records by decoded owner hash, sorted.
    nsec3: Vec<([u8; 20], Record)>,
    behavior: Behavior,
}

impl Authority {
    /// Index a zone's records (signed or not).
    pub fn new(origin: Name, records: &[Record], behavior: Behavior) -> Authority {
        let mut rrsets: BTreeMap<(Name, RType), Vec<Record>> = BTreeMap::new();
        let mut sigs: BTreeMap<(Name, RType), Vec<Record>> = BTreeMap::new();
        let mut existing = BTreeSet::new();
        let mut nsec = Vec::new();
        let mut nsec3 = Vec::new();
        for r in records {
            match &r.data {
                RData::Rrsig(s) => sigs.entry((r.owner.clone(), s.type_covered)).or_default().push(r.clone()),
                RData::Nsec(_) => nsec.push(r.clone()),
                RData::Nsec3(_) => {
                    let hash = r
                        .owner
                        .first_label()
                        .and_then(|l| std::str::from_utf8(l).ok())
                        .and_then(base32hex_decode)
                        .and_then(|h| <[u8; 20]>::try_from(h).ok());
                    if let Some(h) = hash {
                        nsec3.push((h, r.clone()));
                    }
                }
                _ => {
                    rrsets.entry((r.owner.clone(), r.rtype())).or_default().push(r.clone());
                    for a in r.owner.ancestors().take_while(|a| a.is_subdomain_of(&origin)) {
                        existing.insert(a);
                    }
                }
            }
        }
        nsec.sort_by(|a, b| a.owner.cmp(&b.owner));
        nsec3.sort_by_key(|a| a.0);
        let delegations =
            rrsets.keys().filter(|(n, t)| *t == RType::NS && *n != origin).map(|(n, _)| n.clone()).collect();
        Authority { origin, rrsets, sigs, existing, delegations, nsec, nsec3, behavior }
    }

    /// The zone's apex.
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// The server's behaviour.
    pub fn behavior(&self) -> Behavior {
        self.behavior
    }

    /// Answer one query message. `udp`: the answer goes over UDP and may be truncated.
    pub fn answer(&self, query: &Message, udp: bool) -> Message {
        let mut resp = Message { header: query.header, questions: query.questions.clone(), ..Message::default() };
        resp.header.flags.qr = true;
        resp.header.flags.ra = false;
        resp.header.flags.ad = false;
        resp.header.flags.tc = false;
        let do_bit = query.edns.as_ref().is_some_and(|e| e.dnssec_ok);
        if let Some(e) = &query.edns {
            resp.edns = Some(Edns { udp_size: 1232, dnssec_ok: e.dnssec_ok, ..Edns::default() });
            if e.version > 0 {
                resp.header.rcode = Rcode::BADVERS;
                return resp;
            }
        }
        if query.header.opcode != Opcode::QUERY {
            resp.header.rcode = Rcode::NOTIMP;
            return resp;
        }
        let Some(q) = query.questions.first().filter(|_| query.questions.len() == 1) else {
            resp.header.rcode = Rcode::FORMERR;
            return resp;
        };
        if self.behavior.refuse || !q.name.is_subdomain_of(&self.origin) {
            resp.header.rcode = Rcode::REFUSED;
            return resp;
        }
        if self.behavior.servfail {
            resp.header.rcode = Rcode::SERVFAIL;
            return resp;
        }
        if self.behavior.no_aa {
            // Lame: not authoritative for the zone, it refers back to the root.
            let root_ns = Name::root().prepend(b"root-servers").and_then(|n| n.prepend(b"a"));
            if let Ok(ns) = root_ns {
                resp.authority.push(Record::new(Name::root(), 518_400, RData::Ns(ns)));
            }
            return resp;
        }
        resp.header.flags.aa = true;
        self.resolve(&q.name, q.qtype, do_bit, &mut resp);
        if udp && self.behavior.tcp_only {
            truncate(&mut resp);
        } else if udp {
            let limit = query.edns.as_ref().map_or(512, |e| usize::from(e.udp_size.max(512)));
            if resp.to_wire().map_or(true, |w| w.len() > limit) {
                truncate(&mut resp);
            }
        }
        resp
    }

    fn push_rrset(&self, out: &mut Vec<Record>, owner: &Name, rtype: RType, do_bit: bool) -> bool {
        let Some(set) = self.rrsets.get(&(owner.clone(), rtype)) else { return false };
        out.extend(set.iter().cloned());
        if do_bit {
            out.extend(self.sigs.get(&(owner.clone(), rtype)).into_iter().flatten().cloned());
        }
        true
    }

    fn push_denial(&self, out: &mut Vec<Record>, r: &Record, do_bit: bool) {
        if !do_bit || self.behavior.strip_denial || out.iter().any(|x| x == r) {
            return;
        }
        out.push(r.clone());
        out.extend(self.sigs.get(&(r.owner.clone(), r.rtype())).into_iter().flatten().cloned());
    }

    fn soa(&self, out: &mut Vec<Record>, do_bit: bool) {
        self.push_rrset(out, &self.origin, RType::SOA, do_bit);
    }

    fn resolve(&self, qname: &Name, qtype: RType, do_bit: bool, resp: &mut Message) {
        // Below (or at, unless asking for DS) a zone cut: refer.
        let cut = self.delegations.iter().filter(|d| qname.is_subdomain_of(d)).max_by_key(|d| d.label_count());
        if let Some(cut) = cut.filter(|c| !(*c == qname && qtype == RType::DS)) {
            return self.referral(cut, do_bit, resp);
        }
        if self.existing.contains(qname) {
            let mut ans = Vec::new();
            if self.push_rrset(&mut ans, qname, qtype, do_bit)
                || (qtype != RType::CNAME && self.push_rrset(&mut ans, qname, RType::CNAME, do_bit))
            {
                resp.answers = ans;
                return;
            }
            // NODATA (an empty non-terminal too).
            self.soa(&mut resp.authority, do_bit);
            match self.nsec_matching(qname) {
                Some(r) => self.push_denial(&mut resp.authority, r, do_bit),
                None if !self.nsec.is_empty() => {
                    if let Some(r) = self.nsec_covering(qname) {
                        self.push_denial(&mut resp.authority, r, do_bit)
                    }
                }
                None => match self.nsec3_matching(qname) {
                    Some(r) => self.push_denial(&mut resp.authority, r, do_bit),
                    // No NSEC3 for the name (a DS query at an opt-out
                    // delegation): the closest provable encloser proof.
                    None => self.closest_encloser_proof(qname, &mut resp.authority, do_bit),
                },
            }
            return;
        }
        // A DNAME above the name.
        if let Some(dname_owner) =
            qname.ancestors().skip(1).find(|a| self.rrsets.contains_key(&(a.clone(), RType::DNAME)))
        {
            let mut ans = Vec::new();
            self.push_rrset(&mut ans, &dname_owner, RType::DNAME, do_bit);
            if let Some(RData::Dname(target)) =
                self.rrsets.get(&(dname_owner.clone(), RType::DNAME)).and_then(|s| s.first()).map(|r| &r.data)
            {
                let keep = qname.label_count() - dname_owner.label_count();
                let prefix: Vec<&[u8]> = qname.labels().take(keep).collect();
                let mut new = target.clone();
                for l in prefix.iter().rev() {
                    match new.prepend(l) {
                        Ok(n) => new = n,
                        Err(_) => {
                            resp.header.rcode = Rcode::YXDOMAIN;
                            return;
                        }
                    }
                }
                let ttl = ans.first().map_or(0, |r| r.ttl);
                ans.push(Record::new(qname.clone(), ttl, RData::Cname(new)));
            }
            resp.answers = ans;
            return;
        }
        let ce = qname.ancestors().find(|a| self.existing.contains(a)).unwrap_or_else(|| self.origin.clone());
        let next_closer = qname.trim_to(ce.label_count() + 1);
        let Ok(wildcard) = ce.wildcard() else { return };
        if self.existing.contains(&wildcard) {
            let mut ans = Vec::new();
            let found = self.push_rrset(&mut ans, &wildcard, qtype, do_bit)
                || (qtype != RType::CNAME && self.push_rrset(&mut ans, &wildcard, RType::CNAME, do_bit));
            if found {
                for r in &mut ans {
                    r.owner = qname.clone();
                }
                resp.answers = ans;
                if !self.behavior.strip_wildcard_proof {
                    self.deny_name(qname, &next_closer, &mut resp.authority, do_bit);
                }
                return;
            }
            // Wildcard NODATA.
            self.soa(&mut resp.authority, do_bit);
            self.deny_name(qname, &next_closer, &mut resp.authority, do_bit);
            match self.nsec_matching(&wildcard) {
                Some(r) => self.push_denial(&mut resp.authority, r, do_bit),
                None => {
                    if let Some(r) = self.nsec3_matching(&ce) {
                        self.push_denial(&mut resp.authority, r, do_bit);
                    }
                    if let Some(r) = self.nsec3_matching(&wildcard) {
                        self.push_denial(&mut resp.authority, r, do_bit);
                    }
                }
            }
            return;
        }
        // NXDOMAIN.
        resp.header.rcode = Rcode::NXDOMAIN;
        self.soa(&mut resp.authority, do_bit);
        self.deny_name(qname, &next_closer, &mut resp.authority, do_bit);
        if !self.nsec.is_empty() {
            if let Some(r) = self.nsec_covering(&wildcard) {
                self.push_denial(&mut resp.authority, r, do_bit);
            }
        } else {
            if let Some(r) = self.nsec3_matching(&ce) {
                self.push_denial(&mut resp.authority, r, do_bit);
            }
            if let Some(r) = self.nsec3_covering(&wildcard) {
                self.push_denial(&mut resp.authority, r, do_bit);
            }
        }
    }

    /// Records showing `qname` (NSEC) or its next closer name (NSEC3) does not exist.
    fn deny_name(&self, qname: &Name, next_closer: &Name, out: &mut Vec<Record>, do_bit: bool) {
        if !self.nsec.is_empty() {
            if let Some(r) = self.nsec_covering(qname) {
                self.push_denial(out, r, do_bit);
            }
        } else if let Some(r) = self.nsec3_covering(next_closer) {
            self.push_denial(out, r, do_bit);
        }
    }

    fn referral(&self, cut: &Name, do_bit: bool, resp: &mut Message) {
        resp.header.flags.aa = false;
        self.push_rrset(&mut resp.authority, cut, RType::NS, false);
        if !self.push_rrset(&mut resp.authority, cut, RType::DS, do_bit) {
            match self.nsec_matching(cut) {
                Some(r) => self.push_denial(&mut resp.authority, r, do_bit),
                None => match self.nsec3_matching(cut) {
                    Some(r) => self.push_denial(&mut resp.authority, r, do_bit),
                    // Opt-out: the closest encloser and the span over the next closer.
                    None => self.closest_encloser_proof(cut, &mut resp.authority, do_bit),
                },
            }
        }
        // Glue: addresses of the NS names that lie in this zone.
        let targets: Vec<Name> = self
            .rrsets
            .get(&(cut.clone(), RType::NS))
            .into_iter()
            .flatten()
            .filter_map(|r| match &r.data {
                RData::Ns(n) if n.is_subdomain_of(&self.origin) => Some(n.clone()),
                _ => None,
            })
            .collect();
        for t in targets {
            self.push_rrset(&mut resp.additional, &t, RType::A, false);
            self.push_rrset(&mut resp.additional, &t, RType::AAAA, false);
        }
    }

    /// RFC 5155 §7.2.1: the NSEC3 matching the closest provable encloser
    /// of `name` and the one covering the next closer name.
    fn closest_encloser_proof(&self, name: &Name, out: &mut Vec<Record>, do_bit: bool) {
        let Some(ce) = name.ancestors().skip(1).find(|a| self.nsec3_matching(a).is_some()) else { return };
        if let Some(r) = self.nsec3_matching(&ce) {
            self.push_denial(out, r, do_bit);
        }
        let nc = name.trim_to(ce.label_count() + 1);
        if let Some(r) = self.nsec3_covering(&nc) {
            self.push_denial(out, r, do_bit);
        }
    }

    /// (The NSEC records are in canonical order: found by bisection, so a
    /// zone of many names answers as fast as a small one.)
    fn nsec_matching(&self, name: &Name) -> Option<&Record> {
        self.nsec.get(self.nsec.partition_point(|r| r.owner < *name)).filter(|r| r.owner == *name)
    }

    /// The NSEC whose owner is the last one before `name` (wrapping).
    fn nsec_covering(&self, name: &Name) -> Option<&Record> {
        match self.nsec.partition_point(|r| r.owner < *name) {
            0 => self.nsec.last(),
            i => self.nsec.get(i - 1),
        }
    }

    /// The parameters an authoritative server finds its chain by: NSEC3PARAM.
    fn params(&self) -> Option<Nsec3Param> {
        self.rrsets.get(&(self.origin.clone(), RType::NSEC3PARAM))?.iter().find_map(|r| match &r.data {
            RData::Nsec3param(p) if p.hash_algorithm == 1 => Some(p.clone()),
            _ => None,
        })
    }

    /// The chain's records with the NSEC3PARAM parameters; none when
    /// NSEC3PARAM names no chain (so negative answers go without proof).
    fn chain(&self) -> Option<(Nsec3Param, impl Iterator<Item = &([u8; 20], Record)>)> {
        let p = self.params()?;
        // The chain exists when some NSEC3 has the NSEC3PARAM's parameters;
        // records are then found by owner hash alone (so one re-salted by a
        // breakage is served as it stands).
        let exists = self
            .nsec3
            .iter()
            .any(|(_, r)| matches!(&r.data, RData::Nsec3(n) if n.salt == p.salt && n.iterations == p.iterations));
        exists.then(|| (p, self.nsec3.iter()))
    }

    fn nsec3_matching(&self, name: &Name) -> Option<&Record> {
        let (p, mut chain) = self.chain()?;
        let h = nsec3_hash(name, &p.salt, p.iterations);
        chain.find(|(x, _)| *x == h).map(|(_, r)| r)
    }

    fn nsec3_covering(&self, name: &Name) -> Option<&Record> {
        let (p, chain) = self.chain()?;
        let h = nsec3_hash(name, &p.salt, p.iterations);
        let all: Vec<&([u8; 20], Record)> = chain.collect();
        all.iter().rev().find(|(x, _)| *x < h).or_else(|| all.last()).map(|(_, r)| r)
    }
}

/// Drop every record and set TC.
fn truncate(resp: &mut Message) {
    resp.header.flags.tc = true;
    resp.answers.clear();
    resp.authority.clear();
    resp.additional.clear();
}
