//! DNS messages (RFC 1035 §4): header, four sections, EDNS.

use crate::edns::Edns;
use crate::error::{WireError, WriteError};
use crate::name::Name;
use crate::rdata::{Form, RData};
use crate::reader::Reader;
use crate::record::{Question, Record};
use crate::types::{Class, Opcode, RType, Rcode};
use crate::writer::Writer;

/// Header flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// Response.
    pub qr: bool,
    /// Authoritative answer.
    pub aa: bool,
    /// Truncated.
    pub tc: bool,
    /// Recursion desired.
    pub rd: bool,
    /// Recursion available.
    pub ra: bool,
    /// The reserved Z bit (must be zero; kept for round trips).
    pub z: bool,
    /// Authentic data (RFC 4035, RFC 6840 §5.7).
    pub ad: bool,
    /// Checking disabled.
    pub cd: bool,
}

/// The message header, with the rcode widened to 12 bits by EDNS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Query ID.
    pub id: u16,
    /// Opcode (4 bits).
    pub opcode: Opcode,
    /// Flags.
    pub flags: Flags,
    /// The full rcode: the header's 4 bits plus the OPT's upper 8.
    pub rcode: Rcode,
}

impl Default for Opcode {
    fn default() -> Opcode {
        Opcode::QUERY
    }
}

impl Default for Rcode {
    fn default() -> Rcode {
        Rcode::NOERROR
    }
}

/// A DNS message.
///
/// The OPT record is not kept among the additional records: it is the
/// `edns` field, and writing puts it last in the additional section.
///
/// ```
/// use candor_wire::{Message, Name, Question, RType};
/// let q = Message::query(7, Question::new("example.com.".parse().unwrap(), RType::A));
/// let wire = q.to_wire().unwrap();
/// assert_eq!(Message::from_wire(&wire).unwrap(), q);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Header.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authority: Vec<Record>,
    /// Additional section, without the OPT record.
    pub additional: Vec<Record>,
    /// EDNS, when an OPT record is present.
    pub edns: Option<Edns>,
}

/// Smallest possible record: root owner (1) + type, class, TTL, RDLENGTH (10).
const MIN_RECORD_LEN: usize = 11;

impl Message {
    /// A query with RD set and no EDNS.
    pub fn query(id: u16, question: Question) -> Message {
        let mut m = Message::default();
        m.header.id = id;
        m.header.flags.rd = true;
        m.questions.push(question);
        m
    }

    /// Parse a whole message. Bytes after the last record are an error, so
    /// is an OPT anywhere but the additional section, or two of them.
    pub fn from_wire(buf: &[u8]) -> Result<Message, WireError> {
        Message::parse_wire(buf, false, usize::MAX).map(|(m, _)| m)
    }

    /// [`Message::from_wire`], but a record whose RDATA does not parse for
    /// its type (an A record of three octets, a name running past its
    /// RDLENGTH) is left out instead of failing the message, as long as the
    /// message's framing holds; returns the owner and type of each record
    /// left out. For a resolver reading an authority's response: the rest
    /// may still answer (a signed RRset missing a record fails validation
    /// anyway, and the resolver can say why).
    pub fn from_wire_scrubbed(buf: &[u8]) -> Result<(Message, Vec<(Name, RType)>), WireError> {
        Message::parse_wire(buf, true, usize::MAX)
    }

    /// [`Message::from_wire_scrubbed`], keeping at most `max_sigs` RRSIGs
    /// of class IN over each RRset of a section (by owner and type
    /// covered), the first ones in order; the others are skipped without
    /// being parsed, so a flood of signatures costs no allocations. Not
    /// reported as dropped: they are well-formed, only past the cap.
    pub fn from_wire_scrubbed_capped(buf: &[u8], max_sigs: usize) -> Result<(Message, Vec<(Name, RType)>), WireError> {
        Message::parse_wire(buf, true, max_sigs)
    }

    fn parse_wire(buf: &[u8], scrub: bool, max_sigs: usize) -> Result<(Message, Vec<(Name, RType)>), WireError> {
        let mut dropped = Vec::new();
        let mut r = Reader::message(buf);
        let id = r.u16("header")?;
        let bits = r.u16("header")?;
        let counts = [r.u16("header")?, r.u16("header")?, r.u16("header")?, r.u16("header")?];
        let flags = Flags {
            qr: bits & 0x8000 != 0,
            aa: bits & 0x0400 != 0,
            tc: bits & 0x0200 != 0,
            rd: bits & 0x0100 != 0,
            ra: bits & 0x0080 != 0,
            z: bits & 0x0040 != 0,
            ad: bits & 0x0020 != 0,
            cd: bits & 0x0010 != 0,
        };
        let mut msg = Message {
            header: Header { id, opcode: Opcode(((bits >> 11) & 0xf) as u8), flags, rcode: Rcode(bits & 0xf) },
            ..Message::default()
        };
        // Counts come from the wire: never reserve more than the bytes left can hold.
        let cap = |n: u16, r: &Reader<'_>| usize::from(n).min(r.remaining() / MIN_RECORD_LEN);
        msg.questions.reserve(usize::from(counts[0]).min(r.remaining() / 5));
        for _ in 0..counts[0] {
            msg.questions.push(Question::parse(&mut r)?);
        }
        let mut ext_rcode = 0u16;
        for (section, &count) in counts.iter().enumerate().skip(1) {
            let mut records = Vec::with_capacity(cap(count, &r));
            let mut sigs = SigCap::new(max_sigs);
            for _ in 0..count {
                let offset = r.pos();
                let owner = r.name()?;
                let rtype = RType(r.u16("record type")?);
                let class = r.u16("record class")?;
                let ttl = r.u32("record TTL")?;
                let rdlength = r.u16("RDLENGTH")?;
                let mut rd = r.split(usize::from(rdlength), "rdata")?;
                if rtype == RType::OPT {
                    if section != 3 || !owner.is_root() {
                        return Err(WireError::MisplacedOpt { offset });
                    }
                    if msg.edns.is_some() {
                        return Err(WireError::MultipleOpt { offset });
                    }
                    ext_rcode = (ttl >> 24) as u16;
                    msg.edns = Some(Edns {
                        udp_size: class,
                        version: (ttl >> 16) as u8,
                        dnssec_ok: ttl & 0x8000 != 0,
                        z: (ttl & 0x7fff) as u16,
                        options: Edns::parse_options(&mut rd)?,
                    });
                    continue;
                }
                let covered = (rtype == RType::RRSIG && class == Class::IN.0).then(|| rd.clone().u16("type covered"));
                if let Some(Ok(covered)) = covered
                    && sigs.full(&owner, covered, &records)
                {
                    continue;
                }
                let data = match RData::parse(rtype, rdlength, &mut rd) {
                    Ok(data) => data,
                    Err(_) if scrub => {
                        if let Some(Ok(covered)) = covered {
                            sigs.unkeep(&owner, covered);
                        }
                        dropped.push((owner, rtype));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                records.push(Record { owner, class: Class(class), ttl, data });
            }
            match section {
                1 => msg.answers = records,
                2 => msg.authority = records,
                _ => msg.additional = records,
            }
        }
        if !r.is_empty() {
            return Err(WireError::TrailingBytes { extra: r.remaining() });
        }
        msg.header.rcode = Rcode(ext_rcode << 4 | msg.header.rcode.0);
        Ok((msg, dropped))
    }

    /// Where each record's TTL field starts in a message (OPT excluded: its
    /// "TTL" carries EDNS flags). Lets a cache of finished responses count
    /// TTLs down in place instead of writing the message again.
    pub fn ttl_offsets(buf: &[u8]) -> Result<Vec<usize>, WireError> {
        let mut r = Reader::message(buf);
        r.bytes(4, "header")?;
        let counts = [r.u16("header")?, r.u16("header")?, r.u16("header")?, r.u16("header")?];
        for _ in 0..counts[0] {
            Question::parse(&mut r)?;
        }
        let mut offsets = Vec::new();
        for &count in counts.iter().skip(1) {
            for _ in 0..count {
                r.name()?;
                let rtype = RType(r.u16("record type")?);
                r.u16("record class")?;
                let at = r.pos();
                r.u32("record TTL")?;
                let rdlength = r.u16("RDLENGTH")?;
                r.bytes(usize::from(rdlength), "rdata")?;
                if rtype != RType::OPT {
                    offsets.push(at);
                }
            }
        }
        if !r.is_empty() {
            return Err(WireError::TrailingBytes { extra: r.remaining() });
        }
        Ok(offsets)
    }

    /// Write the message with name compression.
    pub fn to_wire(&self) -> Result<Vec<u8>, WriteError> {
        let mut w = Writer::new(Vec::with_capacity(512));
        self.write(&mut w)?;
        Ok(w.finish())
    }

    /// Write the message into `w` (which should be empty).
    pub fn write(&self, w: &mut Writer) -> Result<(), WriteError> {
        let h = &self.header;
        if h.rcode.0 > 0xf && self.edns.is_none() {
            return Err(WriteError::ExtendedRcodeWithoutOpt(h.rcode.0));
        }
        let f = h.flags;
        let bits = u16::from(f.qr) << 15
            | u16::from(h.opcode.0 & 0xf) << 11
            | u16::from(f.aa) << 10
            | u16::from(f.tc) << 9
            | u16::from(f.rd) << 8
            | u16::from(f.ra) << 7
            | u16::from(f.z) << 6
            | u16::from(f.ad) << 5
            | u16::from(f.cd) << 4
            | (h.rcode.0 & 0xf);
        let count = |n: usize| u16::try_from(n).map_err(|_| WriteError::TooManyRecords);
        w.u16(h.id);
        w.u16(bits);
        w.u16(count(self.questions.len())?);
        w.u16(count(self.answers.len())?);
        w.u16(count(self.authority.len())?);
        w.u16(count(self.additional.len() + usize::from(self.edns.is_some()))?);
        for q in &self.questions {
            q.write(w);
        }
        for rr in self.answers.iter().chain(&self.authority).chain(&self.additional) {
            rr.write(w, Form::Message)?;
        }
        if let Some(edns) = &self.edns {
            w.name(&Name::root(), false);
            w.u16(RType::OPT.0);
            w.u16(edns.udp_size);
            let ttl = u32::from((h.rcode.0 >> 4) as u8) << 24
                | u32::from(edns.version) << 16
                | u32::from(edns.dnssec_ok) << 15
                | u32::from(edns.z & 0x7fff);
            w.u32(ttl);
            let len_at = w.len();
            w.u16(0);
            edns.write_options(w)?;
            let len = w.len() - len_at - 2;
            w.patch_u16(len_at, u16::try_from(len).map_err(|_| WriteError::TooLong("OPT rdata"))?);
        }
        Ok(())
    }

    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }
}

/// The RRSIG cap of one section while it is read: the IN RRSIGs kept so
/// far, and per RRset once there are more in all than one RRset may keep.
struct SigCap {
    max: usize,
    seen: usize,
    per_rrset: Option<std::collections::HashMap<(Name, u16), usize>>,
}

impl SigCap {
    fn new(max: usize) -> SigCap {
        SigCap { max, seen: 0, per_rrset: None }
    }

    /// Whether an IN RRSIG of `owner` over `covered` is past the cap (the
    /// records of the section kept so far in `records`); when it is not,
    /// it is counted as kept (a signature that then fails to parse is
    /// dropped as malformed, so the next one may take its place: see
    /// [`Self::unkeep`]).
    fn full(&mut self, owner: &Name, covered: u16, records: &[Record]) -> bool {
        self.seen += 1;
        if self.seen <= self.max {
            return false;
        }
        let max = self.max;
        let counts = self.per_rrset.get_or_insert_with(|| {
            // Past the cap in all for the first time: count the kept ones.
            let mut m = std::collections::HashMap::new();
            for r in records {
                if let (RData::Rrsig(s), Class::IN) = (&r.data, r.class) {
                    *m.entry((r.owner.clone(), s.type_covered.0)).or_insert(0) += 1;
                }
            }
            m
        });
        let n = counts.entry((owner.clone(), covered)).or_insert(0);
        if *n >= max {
            return true;
        }
        *n += 1;
        false
    }

    /// An RRSIG [`Self::full`] counted as kept did not parse.
    fn unkeep(&mut self, owner: &Name, covered: u16) {
        self.seen = self.seen.saturating_sub(1);
        if let Some(n) = self.per_rrset.as_mut().and_then(|m| m.get_mut(&(owner.clone(), covered))) {
            *n = n.saturating_sub(1);
        }
    }
}
