//! Record data: one typed variant per supported type, RFC 3597 opaque data
//! for the rest; wire parsing, writing and the canonical form.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::bitmap::TypeBitmap;
use crate::error::WireError;
use crate::name::Name;
use crate::reader::Reader;
use crate::types::{Algorithm, RType};
use crate::writer::Writer;

/// SOA rdata.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Soa {
    /// Primary name server.
    pub mname: Name,
    /// Responsible mailbox.
    pub rname: Name,
    /// Zone serial (RFC 1982 arithmetic).
    pub serial: u32,
    /// Refresh interval.
    pub refresh: u32,
    /// Retry interval.
    pub retry: u32,
    /// Expire interval.
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308).
    pub minimum: u32,
}

/// MX rdata.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mx {
    /// Preference, lower first.
    pub preference: u16,
    /// Mail exchanger.
    pub exchange: Name,
}

/// SRV rdata (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Srv {
    /// Priority.
    pub priority: u16,
    /// Weight.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host.
    pub target: Name,
}

/// PX rdata (RFC 2163).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Px {
    /// Preference.
    pub preference: u16,
    /// The RFC 822 part of the mapping.
    pub map822: Name,
    /// The X.400 part.
    pub mapx400: Name,
}

/// NAPTR rdata (RFC 3403).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Naptr {
    /// Order.
    pub order: u16,
    /// Preference.
    pub preference: u16,
    /// Flags (a character string).
    pub flags: Vec<u8>,
    /// Services (a character string).
    pub services: Vec<u8>,
    /// Regular expression (a character string).
    pub regexp: Vec<u8>,
    /// Replacement name.
    pub replacement: Name,
}

/// HINFO rdata.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hinfo {
    /// CPU string.
    pub cpu: Vec<u8>,
    /// OS string.
    pub os: Vec<u8>,
}

/// DS and CDS rdata (RFC 4034 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ds {
    /// Key tag of the DNSKEY it refers to.
    pub key_tag: u16,
    /// That key's algorithm.
    pub algorithm: Algorithm,
    /// Digest type.
    pub digest_type: u8,
    /// The digest.
    pub digest: Vec<u8>,
}

/// DNSKEY and CDNSKEY rdata (RFC 4034 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dnskey {
    /// Flags: zone key (256), SEP (1), revoked (128).
    pub flags: u16,
    /// Must be 3.
    pub protocol: u8,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Public key in the algorithm's format.
    pub public_key: Vec<u8>,
}

impl Dnskey {
    /// Zone Key flag (bit 7).
    pub const ZONE: u16 = 0x0100;
    /// Secure Entry Point flag (bit 15).
    pub const SEP: u16 = 0x0001;
    /// Revoke flag (RFC 5011, bit 8).
    pub const REVOKE: u16 = 0x0080;

    /// The zone-key bit is set.
    pub fn is_zone_key(&self) -> bool {
        self.flags & Self::ZONE != 0
    }
    /// The SEP bit is set.
    pub fn is_sep(&self) -> bool {
        self.flags & Self::SEP != 0
    }
    /// The revoke bit is set.
    pub fn is_revoked(&self) -> bool {
        self.flags & Self::REVOKE != 0
    }
}

/// RRSIG rdata (RFC 4034 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rrsig {
    /// Type of the RRset it covers.
    pub type_covered: RType,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Labels in the original owner, without root or a leading `*`.
    pub labels: u8,
    /// TTL of the covered RRset as signed.
    pub original_ttl: u32,
    /// Expiration, seconds since the epoch modulo 2^32.
    pub expiration: u32,
    /// Inception, seconds since the epoch modulo 2^32.
    pub inception: u32,
    /// Key tag of the signing key.
    pub key_tag: u16,
    /// Zone of the signing key (never compressed).
    pub signer: Name,
    /// The signature.
    pub signature: Vec<u8>,
}

/// NSEC rdata (RFC 4034 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec {
    /// Next owner in canonical order (case preserved, never compressed).
    pub next: Name,
    /// Types present at the owner.
    pub types: TypeBitmap,
}

/// NSEC3 rdata (RFC 5155 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec3 {
    /// Hash algorithm (1 = SHA-1).
    pub hash_algorithm: u8,
    /// Flags; bit 0 is opt-out.
    pub flags: u8,
    /// Extra hash iterations.
    pub iterations: u16,
    /// Salt (0 to 255 octets).
    pub salt: Vec<u8>,
    /// Next hashed owner name, raw hash octets.
    pub next_hashed: Vec<u8>,
    /// Types present at the original owner.
    pub types: TypeBitmap,
}

impl Nsec3 {
    /// The opt-out flag.
    pub const OPT_OUT: u8 = 0x01;
    /// The opt-out flag is set.
    pub fn opt_out(&self) -> bool {
        self.flags & Self::OPT_OUT != 0
    }
}

/// NSEC3PARAM rdata (RFC 5155 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec3Param {
    /// Hash algorithm.
    pub hash_algorithm: u8,
    /// Flags (must be zero in a served NSEC3PARAM).
    pub flags: u8,
    /// Extra iterations.
    pub iterations: u16,
    /// Salt.
    pub salt: Vec<u8>,
}

/// TLSA rdata (RFC 6698).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage.
    pub usage: u8,
    /// Selector.
    pub selector: u8,
    /// Matching type.
    pub matching_type: u8,
    /// Certificate association data.
    pub data: Vec<u8>,
}

/// SSHFP rdata (RFC 4255).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sshfp {
    /// Key algorithm.
    pub algorithm: u8,
    /// Fingerprint type.
    pub fp_type: u8,
    /// Fingerprint.
    pub fingerprint: Vec<u8>,
}

/// CAA rdata (RFC 8659).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caa {
    /// Flags; 128 is critical.
    pub flags: u8,
    /// Property tag (1 to 255 octets, letters and digits).
    pub tag: Vec<u8>,
    /// Property value.
    pub value: Vec<u8>,
}

/// Record data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Name server.
    Ns(Name),
    /// Canonical name.
    Cname(Name),
    /// Delegation name.
    Dname(Name),
    /// Pointer.
    Ptr(Name),
    /// Start of authority.
    Soa(Soa),
    /// Mail exchange.
    Mx(Mx),
    /// Text: one or more character strings.
    Txt(Vec<Vec<u8>>),
    /// Service.
    Srv(Srv),
    /// Host information.
    Hinfo(Hinfo),
    /// X.400 mapping.
    Px(Px),
    /// Naming authority pointer.
    Naptr(Naptr),
    /// Delegation signer.
    Ds(Ds),
    /// Child DS.
    Cds(Ds),
    /// Public key.
    Dnskey(Dnskey),
    /// Child DNSKEY.
    Cdnskey(Dnskey),
    /// Signature.
    Rrsig(Rrsig),
    /// Next secure.
    Nsec(Nsec),
    /// Hashed next secure.
    Nsec3(Nsec3),
    /// NSEC3 parameters.
    Nsec3param(Nsec3Param),
    /// TLS association.
    Tlsa(Tlsa),
    /// SSH fingerprint.
    Sshfp(Sshfp),
    /// CA authorisation.
    Caa(Caa),
    /// Service binding, kept opaque.
    Svcb(Vec<u8>),
    /// HTTPS binding, kept opaque.
    Https(Vec<u8>),
    /// Any other type, as RFC 3597 opaque octets.
    Unknown {
        /// The type.
        rtype: RType,
        /// The raw rdata.
        data: Vec<u8>,
    },
}

/// How rdata is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// In a message: names of RFC 1035 types may be compressed.
    Message,
    /// Uncompressed, case preserved.
    Plain,
    /// RFC 4034 §6.2 canonical form: uncompressed, and the names of the
    /// types listed there (as amended by RFC 6840 §5.1, without NSEC)
    /// lowercased.
    Canonical,
}

impl RData {
    /// The record type this rdata belongs to.
    pub fn rtype(&self) -> RType {
        match self {
            RData::A(_) => RType::A,
            RData::Aaaa(_) => RType::AAAA,
            RData::Ns(_) => RType::NS,
            RData::Cname(_) => RType::CNAME,
            RData::Dname(_) => RType::DNAME,
            RData::Ptr(_) => RType::PTR,
            RData::Soa(_) => RType::SOA,
            RData::Mx(_) => RType::MX,
            RData::Txt(_) => RType::TXT,
            RData::Srv(_) => RType::SRV,
            RData::Hinfo(_) => RType::HINFO,
            RData::Px(_) => RType::PX,
            RData::Naptr(_) => RType::NAPTR,
            RData::Ds(_) => RType::DS,
            RData::Cds(_) => RType::CDS,
            RData::Dnskey(_) => RType::DNSKEY,
            RData::Cdnskey(_) => RType::CDNSKEY,
            RData::Rrsig(_) => RType::RRSIG,
            RData::Nsec(_) => RType::NSEC,
            RData::Nsec3(_) => RType::NSEC3,
            RData::Nsec3param(_) => RType::NSEC3PARAM,
            RData::Tlsa(_) => RType::TLSA,
            RData::Sshfp(_) => RType::SSHFP,
            RData::Caa(_) => RType::CAA,
            RData::Svcb(_) => RType::SVCB,
            RData::Https(_) => RType::HTTPS,
            RData::Unknown { rtype, .. } => *rtype,
        }
    }

    /// Parse rdata of `rtype` from wire octets that stand alone (no
    /// compression pointers can be followed).
    pub fn from_wire(rtype: RType, data: &[u8]) -> Result<RData, WireError> {
        let mut r = Reader::detached(data);
        let rdlength = u16::try_from(data.len()).unwrap_or(u16::MAX);
        RData::parse(rtype, rdlength, &mut r)
    }

    /// Parse exactly the reader's remaining octets as rdata of `rtype`.
    pub(crate) fn parse(rtype: RType, rdlength: u16, r: &mut Reader<'_>) -> Result<RData, WireError> {
        let offset = r.pos();
        let len = r.remaining();
        let bad_len = || WireError::BadRdataLength { offset, rtype, len };
        let rd = match rtype {
            RType::A => {
                let b: [u8; 4] = r.rest().try_into().map_err(|_| bad_len())?;
                RData::A(Ipv4Addr::from(b))
            }
            RType::AAAA => {
                let b: [u8; 16] = r.rest().try_into().map_err(|_| bad_len())?;
                RData::Aaaa(Ipv6Addr::from(b))
            }
            RType::NS => RData::Ns(r.name()?),
            RType::CNAME => RData::Cname(r.name()?),
            RType::DNAME => RData::Dname(r.name()?),
            RType::PTR => RData::Ptr(r.name()?),
            RType::SOA => RData::Soa(Soa {
                mname: r.name()?,
                rname: r.name()?,
                serial: r.u32("SOA serial")?,
                refresh: r.u32("SOA refresh")?,
                retry: r.u32("SOA retry")?,
                expire: r.u32("SOA expire")?,
                minimum: r.u32("SOA minimum")?,
            }),
            RType::MX => RData::Mx(Mx { preference: r.u16("MX preference")?, exchange: r.name()? }),
            RType::TXT => {
                let mut strings = Vec::new();
                while !r.is_empty() {
                    strings.push(r.char_string("TXT string")?.to_vec());
                }
                RData::Txt(strings)
            }
            RType::SRV => RData::Srv(Srv {
                priority: r.u16("SRV priority")?,
                weight: r.u16("SRV weight")?,
                port: r.u16("SRV port")?,
                target: r.name()?,
            }),
            RType::HINFO => RData::Hinfo(Hinfo {
                cpu: r.char_string("HINFO cpu")?.to_vec(),
                os: r.char_string("HINFO os")?.to_vec(),
            }),
            RType::PX => RData::Px(Px { preference: r.u16("PX preference")?, map822: r.name()?, mapx400: r.name()? }),
            RType::NAPTR => RData::Naptr(Naptr {
                order: r.u16("NAPTR order")?,
                preference: r.u16("NAPTR preference")?,
                flags: r.char_string("NAPTR flags")?.to_vec(),
                services: r.char_string("NAPTR services")?.to_vec(),
                regexp: r.char_string("NAPTR regexp")?.to_vec(),
                replacement: r.name()?,
            }),
            RType::DS => RData::Ds(parse_ds(r)?),
            RType::CDS => RData::Cds(parse_ds(r)?),
            RType::DNSKEY => RData::Dnskey(parse_dnskey(r)?),
            RType::CDNSKEY => RData::Cdnskey(parse_dnskey(r)?),
            RType::RRSIG => RData::Rrsig(Rrsig {
                type_covered: RType(r.u16("RRSIG type covered")?),
                algorithm: Algorithm(r.u8("RRSIG algorithm")?),
                labels: r.u8("RRSIG labels")?,
                original_ttl: r.u32("RRSIG original TTL")?,
                expiration: r.u32("RRSIG expiration")?,
                inception: r.u32("RRSIG inception")?,
                key_tag: r.u16("RRSIG key tag")?,
                signer: r.name()?,
                signature: r.rest().to_vec(),
            }),
            RType::NSEC => RData::Nsec(Nsec { next: r.name()?, types: TypeBitmap::parse(r)? }),
            RType::NSEC3 => {
                let hash_algorithm = r.u8("NSEC3 hash algorithm")?;
                let flags = r.u8("NSEC3 flags")?;
                let iterations = r.u16("NSEC3 iterations")?;
                let salt = r.char_string("NSEC3 salt")?.to_vec();
                let next_hashed = r.char_string("NSEC3 next hashed owner")?.to_vec();
                if next_hashed.is_empty() {
                    return Err(bad_len());
                }
                RData::Nsec3(Nsec3 {
                    hash_algorithm,
                    flags,
                    iterations,
                    salt,
                    next_hashed,
                    types: TypeBitmap::parse(r)?,
                })
            }
            RType::NSEC3PARAM => RData::Nsec3param(Nsec3Param {
                hash_algorithm: r.u8("NSEC3PARAM hash algorithm")?,
                flags: r.u8("NSEC3PARAM flags")?,
                iterations: r.u16("NSEC3PARAM iterations")?,
                salt: r.char_string("NSEC3PARAM salt")?.to_vec(),
            }),
            RType::TLSA => RData::Tlsa(Tlsa {
                usage: r.u8("TLSA usage")?,
                selector: r.u8("TLSA selector")?,
                matching_type: r.u8("TLSA matching type")?,
                data: r.rest().to_vec(),
            }),
            RType::SSHFP => RData::Sshfp(Sshfp {
                algorithm: r.u8("SSHFP algorithm")?,
                fp_type: r.u8("SSHFP type")?,
                fingerprint: r.rest().to_vec(),
            }),
            RType::CAA => {
                let flags = r.u8("CAA flags")?;
                let tag = r.char_string("CAA tag")?.to_vec();
                if tag.is_empty() {
                    return Err(bad_len());
                }
                RData::Caa(Caa { flags, tag, value: r.rest().to_vec() })
            }
            RType::SVCB => RData::Svcb(r.rest().to_vec()),
            RType::HTTPS => RData::Https(r.rest().to_vec()),
            _ => RData::Unknown { rtype, data: r.rest().to_vec() },
        };
        if !r.is_empty() {
            return Err(WireError::TrailingRdata { offset, rtype, rdlength, extra: r.remaining() });
        }
        Ok(rd)
    }

    /// Append the rdata (without RDLENGTH) in the given form.
    pub fn write(&self, w: &mut Writer, form: Form) {
        // RFC 3597 §4: only the RFC 1035 types' names are compressed.
        let compress = form == Form::Message;
        let canonical = form == Form::Canonical;
        let name = |w: &mut Writer, n: &Name, lower: bool| {
            if canonical && lower {
                w.name(&n.to_lowercase(), false);
            } else {
                w.name(n, compress && lower);
            }
        };
        match self {
            RData::A(a) => w.bytes(&a.octets()),
            RData::Aaaa(a) => w.bytes(&a.octets()),
            RData::Ns(n) | RData::Cname(n) | RData::Ptr(n) => name(w, n, true),
            RData::Dname(n) => {
                // Lowercased in canonical form, never compressed (RFC 6672 §2.5).
                if canonical { w.name(&n.to_lowercase(), false) } else { w.name(n, false) }
            }
            RData::Soa(s) => {
                name(w, &s.mname, true);
                name(w, &s.rname, true);
                for v in [s.serial, s.refresh, s.retry, s.expire, s.minimum] {
                    w.u32(v);
                }
            }
            RData::Mx(m) => {
                w.u16(m.preference);
                name(w, &m.exchange, true);
            }
            RData::Txt(strings) => {
                for s in strings {
                    write_char_string(w, s);
                }
            }
            RData::Srv(s) => {
                w.u16(s.priority);
                w.u16(s.weight);
                w.u16(s.port);
                if canonical { w.name(&s.target.to_lowercase(), false) } else { w.name(&s.target, false) }
            }
            RData::Hinfo(h) => {
                write_char_string(w, &h.cpu);
                write_char_string(w, &h.os);
            }
            // Names lowercased in canonical form (RFC 4034 §6.2), never
            // compressed (RFC 3597 §4).
            RData::Px(p) => {
                w.u16(p.preference);
                for n in [&p.map822, &p.mapx400] {
                    if canonical { w.name(&n.to_lowercase(), false) } else { w.name(n, false) }
                }
            }
            RData::Naptr(n) => {
                w.u16(n.order);
                w.u16(n.preference);
                write_char_string(w, &n.flags);
                write_char_string(w, &n.services);
                write_char_string(w, &n.regexp);
                let r = &n.replacement;
                if canonical { w.name(&r.to_lowercase(), false) } else { w.name(r, false) }
            }
            RData::Ds(d) | RData::Cds(d) => {
                w.u16(d.key_tag);
                w.u8(d.algorithm.0);
                w.u8(d.digest_type);
                w.bytes(&d.digest);
            }
            RData::Dnskey(k) | RData::Cdnskey(k) => {
                w.u16(k.flags);
                w.u8(k.protocol);
                w.u8(k.algorithm.0);
                w.bytes(&k.public_key);
            }
            RData::Rrsig(s) => {
                s.write_without_signature(w, canonical);
                w.bytes(&s.signature);
            }
            RData::Nsec(n) => {
                // RFC 6840 §5.1: the next name keeps its case even in canonical form.
                w.name(&n.next, false);
                n.types.write(w);
            }
            RData::Nsec3(n) => {
                w.u8(n.hash_algorithm);
                w.u8(n.flags);
                w.u16(n.iterations);
                write_char_string(w, &n.salt);
                write_char_string(w, &n.next_hashed);
                n.types.write(w);
            }
            RData::Nsec3param(n) => {
                w.u8(n.hash_algorithm);
                w.u8(n.flags);
                w.u16(n.iterations);
                write_char_string(w, &n.salt);
            }
            RData::Tlsa(t) => {
                w.u8(t.usage);
                w.u8(t.selector);
                w.u8(t.matching_type);
                w.bytes(&t.data);
            }
            RData::Sshfp(s) => {
                w.u8(s.algorithm);
                w.u8(s.fp_type);
                w.bytes(&s.fingerprint);
            }
            RData::Caa(c) => {
                w.u8(c.flags);
                write_char_string(w, &c.tag);
                w.bytes(&c.value);
            }
            RData::Svcb(d) | RData::Https(d) | RData::Unknown { data: d, .. } => w.bytes(d),
        }
    }

    /// The rdata in uncompressed wire form, case preserved.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.write(&mut w, Form::Plain);
        w.finish()
    }

    /// The rdata in canonical form (RFC 4034 §6.2).
    pub fn to_canonical(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.write(&mut w, Form::Canonical);
        w.finish()
    }
}

impl Rrsig {
    /// Append the RRSIG rdata up to, not including, the signature: the
    /// first part of the data a signature covers (RFC 4034 §3.1.8.1). The
    /// signer name is lowercased when `canonical`.
    pub fn write_without_signature(&self, w: &mut Writer, canonical: bool) {
        w.u16(self.type_covered.0);
        w.u8(self.algorithm.0);
        w.u8(self.labels);
        w.u32(self.original_ttl);
        w.u32(self.expiration);
        w.u32(self.inception);
        w.u16(self.key_tag);
        if canonical { w.name(&self.signer.to_lowercase(), false) } else { w.name(&self.signer, false) }
    }
}

fn write_char_string(w: &mut Writer, s: &[u8]) {
    // Text parsing and wire parsing both cap strings at 255 octets; a longer
    // one built by hand is cut rather than written with a wrong length.
    let s = s.get(..s.len().min(255)).unwrap_or(&[]);
    w.u8(s.len() as u8);
    w.bytes(s);
}

fn parse_ds(r: &mut Reader<'_>) -> Result<Ds, WireError> {
    Ok(Ds {
        key_tag: r.u16("DS key tag")?,
        algorithm: Algorithm(r.u8("DS algorithm")?),
        digest_type: r.u8("DS digest type")?,
        digest: r.rest().to_vec(),
    })
}

fn parse_dnskey(r: &mut Reader<'_>) -> Result<Dnskey, WireError> {
    Ok(Dnskey {
        flags: r.u16("DNSKEY flags")?,
        protocol: r.u8("DNSKEY protocol")?,
        algorithm: Algorithm(r.u8("DNSKEY algorithm")?),
        public_key: r.rest().to_vec(),
    })
}
