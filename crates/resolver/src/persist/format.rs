//! The saved cache's file format, version 1. Everything is big-endian:
//!
//! ```text
//! magic "CANDORC\n" · version u16 · binding [32] · written_at u64 (unix)
//! answers u32 · rrsets u32 · cuts u32
//! answer: left u32 (s) · verdict u8 · len u32 · DNS message (question,
//!         rcode, answer/authority/additional sections; TTLs as saved)
//! rrset:  left u32 · verdict u8 · len u32 · DNS message (answer section)
//! cut:    left u32 · verdict u8 · servers u8 · server* · len u32 · DNS
//!         message (question zone/DNSKEY; answer: the DNSKEY RRset and its
//!         RRSIGs when secure; authority: NS records naming the servers
//!         still to look up)
//! server: family u8 (4, 6) · address [4 or 16] · port u16
//! tag [32]: HMAC-SHA-256 of everything before it
//! ```
//!
//! Records travel in DNS wire form so the same parser that reads the
//! network reads them back; the verdict is 0 (secure) or 1 (insecure).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use candor_wire::{Message, Name, Question, RData, RType, Record};

use crate::cache::saved::{SavedAnswer, SavedRrset};
use crate::persist::error::{PersistError, VERSION};
use crate::security::{Resolution, Security};

pub(crate) const MAGIC: &[u8; 8] = b"CANDORC\n";
/// Magic, version, binding, time, three counts.
pub(crate) const HEADER_LEN: usize = 8 + 2 + 32 + 8 + 12;
pub(crate) const TAG_LEN: usize = 32;

/// A saved zone cut: its servers, and its trust (the validated DNSKEY
/// RRset when secure).
#[derive(Debug, Clone)]
pub(crate) struct SavedCut {
    pub(crate) zone: Name,
    pub(crate) servers: Vec<SocketAddr>,
    pub(crate) pending: Vec<Name>,
    /// The DNSKEY RRset and its RRSIGs (secure), or nothing (insecure).
    pub(crate) keys: Option<Vec<Record>>,
    pub(crate) left: Duration,
}

/// What a file holds.
#[derive(Debug, Default)]
pub(crate) struct Contents {
    pub(crate) binding: [u8; 32],
    pub(crate) written_at: u64,
    pub(crate) answers: Vec<SavedAnswer>,
    pub(crate) rrsets: Vec<SavedRrset>,
    pub(crate) cuts: Vec<SavedCut>,
}

/// Writes the body (everything but the tag).
pub(crate) struct Writer {
    buf: Vec<u8>,
    counts: [u32; 3],
}

impl Writer {
    pub(crate) fn new(binding: &[u8; 32], written_at: u64) -> Writer {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&VERSION.to_be_bytes());
        buf.extend_from_slice(binding);
        buf.extend_from_slice(&written_at.to_be_bytes());
        buf.extend_from_slice(&[0; 12]);
        Writer { buf, counts: [0; 3] }
    }

    fn head(&mut self, left: Duration, security: &Security) {
        let left = u32::try_from(left.as_secs()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&left.to_be_bytes());
        self.buf.push(u8::from(*security != Security::Secure));
    }

    fn message(&mut self, m: &Message) -> bool {
        let Ok(wire) = m.to_wire() else { return false };
        let Ok(len) = u32::try_from(wire.len()) else { return false };
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(&wire);
        true
    }

    /// Add an answer (false: it does not fit a message; left out).
    pub(crate) fn answer(&mut self, a: &SavedAnswer) -> bool {
        let mut m = Message::default();
        m.questions.push(Question::new(a.qname.clone(), a.qtype));
        m.header.rcode = a.resolution.rcode;
        m.answers.clone_from(&a.resolution.answers);
        m.authority.clone_from(&a.resolution.authority);
        m.additional.clone_from(&a.resolution.additional);
        let mark = self.buf.len();
        self.head(a.left, &a.resolution.security);
        self.kept(mark, 0, |w| w.message(&m))
    }

    pub(crate) fn rrset(&mut self, r: &SavedRrset) -> bool {
        let m = Message { answers: r.records.clone(), ..Message::default() };
        let mark = self.buf.len();
        self.head(r.left, &r.security);
        self.kept(mark, 1, |w| w.message(&m))
    }

    pub(crate) fn cut(&mut self, c: &SavedCut) -> bool {
        let mut m = Message::default();
        m.questions.push(Question::new(c.zone.clone(), RType::DNSKEY));
        m.answers = c.keys.clone().unwrap_or_default();
        m.authority = c.pending.iter().map(|n| Record::new(c.zone.clone(), 0, RData::Ns(n.clone()))).collect();
        let mark = self.buf.len();
        let verdict = if c.keys.is_some() { Security::Secure } else { Security::Insecure(None) };
        self.head(c.left, &verdict);
        let servers: Vec<&SocketAddr> = c.servers.iter().take(usize::from(u8::MAX)).collect();
        self.buf.push(servers.len() as u8);
        for s in servers {
            match s.ip() {
                IpAddr::V4(a) => {
                    self.buf.push(4);
                    self.buf.extend_from_slice(&a.octets());
                }
                IpAddr::V6(a) => {
                    self.buf.push(6);
                    self.buf.extend_from_slice(&a.octets());
                }
            }
            self.buf.extend_from_slice(&s.port().to_be_bytes());
        }
        self.kept(mark, 2, |w| w.message(&m))
    }

    /// Keep what `f` wrote after `mark` and count it, or take it back.
    fn kept(&mut self, mark: usize, which: usize, f: impl FnOnce(&mut Writer) -> bool) -> bool {
        if f(self) {
            if let Some(c) = self.counts.get_mut(which) {
                *c += 1;
            }
            true
        } else {
            self.buf.truncate(mark);
            false
        }
    }

    /// The body, counts filled in.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        for (i, c) in self.counts.iter().enumerate() {
            let at = HEADER_LEN - 12 + 4 * i;
            if let Some(slot) = self.buf.get_mut(at..at + 4) {
                slot.copy_from_slice(&c.to_be_bytes());
            }
        }
        self.buf
    }
}

/// Reads an authenticated body.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PersistError> {
        let end = self.at.checked_add(n).ok_or(PersistError::Truncated)?;
        let s = self.buf.get(self.at..end).ok_or(PersistError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, PersistError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Result<u16, PersistError> {
        let mut a = [0; 2];
        a.copy_from_slice(self.take(2)?);
        Ok(u16::from_be_bytes(a))
    }

    fn u32(&mut self) -> Result<u32, PersistError> {
        let mut a = [0; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(a))
    }

    fn u64(&mut self) -> Result<u64, PersistError> {
        let mut a = [0; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }

    fn head(&mut self) -> Result<(Duration, Security), PersistError> {
        let left = Duration::from_secs(u64::from(self.u32()?));
        let security = match self.u8()? {
            0 => Security::Secure,
            1 => Security::Insecure(None),
            v => return Err(PersistError::Malformed(format!("verdict {v}"))),
        };
        Ok((left, security))
    }

    fn message(&mut self) -> Result<Message, PersistError> {
        let len = self.u32()? as usize;
        Message::from_wire(self.take(len)?).map_err(|e| PersistError::Malformed(e.to_string()))
    }

    fn server(&mut self) -> Result<SocketAddr, PersistError> {
        let ip = match self.u8()? {
            4 => {
                let mut a = [0; 4];
                a.copy_from_slice(self.take(4)?);
                IpAddr::from(a)
            }
            6 => {
                let mut a = [0; 16];
                a.copy_from_slice(self.take(16)?);
                IpAddr::from(a)
            }
            f => return Err(PersistError::Malformed(format!("address family {f}"))),
        };
        Ok(SocketAddr::new(ip, self.u16()?))
    }
}

/// The magic and version of a file, before anything else is believed.
pub(crate) fn check_version(file: &[u8]) -> Result<(), PersistError> {
    if file.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(PersistError::NotACacheFile);
    }
    let mut v = [0; 2];
    v.copy_from_slice(file.get(8..10).ok_or(PersistError::Truncated)?);
    let v = u16::from_be_bytes(v);
    if v != VERSION {
        return Err(PersistError::Version(v));
    }
    Ok(())
}

/// Parse an authenticated body (tag already checked and cut off).
pub(crate) fn parse(body: &[u8]) -> Result<Contents, PersistError> {
    check_version(body)?;
    let mut r = Reader { buf: body, at: 10 };
    let mut c = Contents::default();
    c.binding.copy_from_slice(r.take(32)?);
    c.written_at = r.u64()?;
    let (answers, rrsets, cuts) = (r.u32()?, r.u32()?, r.u32()?);
    for _ in 0..answers {
        let (left, security) = r.head()?;
        let m = r.message()?;
        let q = m.question().ok_or_else(|| PersistError::Malformed("an answer without its question".into()))?;
        let resolution = Resolution {
            rcode: m.header.rcode,
            answers: m.answers.clone(),
            authority: m.authority.clone(),
            security,
            from_cache: false,
            additional: m.additional.clone(),
            stale: None,
        };
        c.answers.push(SavedAnswer { qname: q.name.clone(), qtype: q.qtype, resolution, left });
    }
    for _ in 0..rrsets {
        let (left, security) = r.head()?;
        let m = r.message()?;
        c.rrsets.push(SavedRrset { records: m.answers, security, left });
    }
    for _ in 0..cuts {
        let (left, security) = r.head()?;
        let n = r.u8()?;
        let servers = (0..n).map(|_| r.server()).collect::<Result<Vec<_>, _>>()?;
        let m = r.message()?;
        let zone = m.question().map(|q| q.name.clone()).ok_or_else(|| PersistError::Malformed("a cut".into()))?;
        let pending = m
            .authority
            .iter()
            .filter_map(|rr| match &rr.data {
                RData::Ns(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let keys = (security == Security::Secure).then_some(m.answers);
        c.cuts.push(SavedCut { zone, servers, pending, keys, left });
    }
    if r.at != body.len() {
        return Err(PersistError::Malformed("bytes after the last entry".into()));
    }
    Ok(c)
}
