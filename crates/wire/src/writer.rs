//! Building wire data into a caller-owned buffer, with name compression.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::name::Name;

/// Appends wire data to a buffer and remembers where names were written so
/// later names can point at them (RFC 1035 §4.1.4).
///
/// Compression targets are the owner names, question names and the rdata
/// names of the RFC 1035 types; pointers are only written where the caller
/// asks for compression. Suffixes match case-insensitively, as in other
/// DNS implementations: a later name can come back with the case of the
/// earlier one it points to, while the first name written (the question)
/// keeps its exact case.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
    /// Fingerprint of a lowercased suffix -> offset where it was written
    /// (a match is confirmed against the buffer before a pointer is made).
    targets: HashMap<u64, u16, BuildHasherDefault<Fingerprint>>,
}

/// The hasher of the target table: its keys are already FNV-1a
/// fingerprints, so hashing them again (SipHash) was pure cost; a key is
/// its own hash. Collisions only cost a comparison: a match is confirmed
/// against the buffer before a pointer is written.
#[derive(Default)]
struct Fingerprint(u64);

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Labels in a name at most (255 octets, two per label at least).
const MAX_LABELS: usize = 128;

impl Writer {
    /// A writer that appends to `buf` (offsets count from its current start,
    /// so pass an empty buffer for a message).
    pub fn new(buf: Vec<u8>) -> Writer {
        Writer { buf, targets: HashMap::default() }
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Current length.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Append raw octets.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Append one octet.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Append a big-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Append a big-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Overwrite a u16 written earlier (a length or count placeholder).
    pub fn patch_u16(&mut self, at: usize, v: u16) {
        if let Some(slot) = self.buf.get_mut(at..at + 2) {
            slot.copy_from_slice(&v.to_be_bytes());
        }
    }

    /// Cut the buffer back to `len` octets, forgetting compression targets
    /// written after that point.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        self.targets.retain(|_, off| usize::from(*off) < len);
    }

    /// Append a name. With `compress`, reuse an earlier suffix through a
    /// pointer and register this name's suffixes as targets. Linear in the
    /// name: each suffix's fingerprint is built from the one after it.
    pub fn name(&mut self, name: &Name, compress: bool) {
        let wire = name.as_wire();
        if !compress {
            self.buf.extend_from_slice(wire);
            return;
        }
        // Where each label starts, and each suffix's fingerprint, from the end.
        let mut starts = [0usize; MAX_LABELS];
        let mut n = 0;
        let mut off = 0;
        while let Some(&len) = wire.get(off) {
            if len == 0 || n == MAX_LABELS {
                break;
            }
            if let Some(s) = starts.get_mut(n) {
                *s = off;
            }
            n += 1;
            off += 1 + usize::from(len);
        }
        let mut prints = [0u64; MAX_LABELS];
        let mut print = 0xcbf2_9ce4_8422_2325u64;
        for i in (0..n).rev() {
            let at = starts.get(i).copied().unwrap_or(0);
            let len = usize::from(wire.get(at).copied().unwrap_or(0));
            for &b in wire.get(at..at + 1 + len).unwrap_or(&[]) {
                print = (print ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0000_0100_0000_01b3);
            }
            if let Some(p) = prints.get_mut(i) {
                *p = print;
            }
        }
        // At most one growth of the table per name (a deep name inserts a
        // target per label).
        self.targets.reserve(n);
        for i in 0..n {
            let at = starts.get(i).copied().unwrap_or(0);
            let suffix = wire.get(at..).unwrap_or(&[0]);
            let print = prints.get(i).copied().unwrap_or(0);
            if let Some(&target) = self.targets.get(&print)
                && self.written_at(usize::from(target), suffix)
            {
                self.u16(0xc000 | target);
                return;
            }
            let here = self.buf.len();
            if here < 0x4000 {
                self.targets.insert(print, here as u16);
            }
            let len = usize::from(suffix.first().copied().unwrap_or(0));
            self.buf.extend_from_slice(suffix.get(..1 + len).unwrap_or(&[]));
        }
        self.buf.push(0);
    }

    /// Whether the name written at `at` (following pointers) is `suffix`,
    /// case-insensitively.
    fn written_at(&self, mut at: usize, suffix: &[u8]) -> bool {
        let mut off = 0;
        // Pointers only go back to names written earlier; a bound all the same.
        for _ in 0..MAX_LABELS * 2 {
            let (Some(&len), Some(&want)) = (self.buf.get(at), suffix.get(off)) else { return false };
            if len & 0xc0 == 0xc0 {
                let Some(&low) = self.buf.get(at + 1) else { return false };
                at = usize::from(len & 0x3f) << 8 | usize::from(low);
                continue;
            }
            if len != want {
                return false;
            }
            if len == 0 {
                return true;
            }
            let l = usize::from(len);
            match (self.buf.get(at + 1..at + 1 + l), suffix.get(off + 1..off + 1 + l)) {
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
                _ => return false,
            }
            at += 1 + l;
            off += 1 + l;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::Reader;

    fn read_all(buf: &[u8], skip: usize, count: usize) -> Vec<Name> {
        let mut r = Reader::message(buf);
        r.bytes(skip, "header").unwrap();
        (0..count).map(|_| r.name().unwrap()).collect()
    }

    #[test]
    fn suffixes_are_shared_across_case_and_read_back_the_same() {
        let names: Vec<Name> = [
            "www.Example.COM.",
            "mail.example.com.",
            "example.com.",
            "a.b.example.org.",
            "B.example.ORG.",
            "org.",
            ".",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        let mut w = Writer::new(vec![0; 12]); // a header: pointers never go there
        for n in &names {
            w.name(n, true);
        }
        let buf = w.finish();
        let plain: usize = names.iter().map(Name::wire_len).sum();
        assert!(buf.len() - 12 < plain * 2 / 3, "compressed to {} of {plain}", buf.len() - 12);
        let back = read_all(&buf, 12, names.len());
        assert_eq!(back, names);
        assert_eq!(back[0].to_string(), "www.Example.COM.", "the first name keeps its case");
    }

    #[test]
    fn a_long_name_and_its_twin_compress_to_a_pointer() {
        let deep = format!("{}x.example.", "a.".repeat(120));
        let name: Name = deep.parse().unwrap();
        let mut w = Writer::new(vec![0; 12]); // a header: pointers never go there
        w.name(&name, true);
        let first = w.len();
        assert_eq!(first, 12 + name.wire_len());
        w.name(&name, true);
        w.name(&format!("b.{deep}").parse().unwrap(), true);
        assert_eq!(w.len(), first + 2 + 4, "a pointer, then one label and a pointer");
        let buf = w.finish();
        let back = read_all(&buf, 12, 3);
        assert_eq!(back[1], name);
        assert_eq!(back[2].parent().unwrap(), name);
    }

    #[test]
    fn names_cut_off_by_truncate_are_not_pointed_at() {
        let a: Name = "x.example.".parse().unwrap();
        let mut w = Writer::new(vec![0; 12]);
        w.truncate(12);
        w.name(&a, true);
        w.truncate(12);
        w.name(&"y.example.".parse().unwrap(), true);
        let buf = w.finish();
        assert_eq!(read_all(&buf, 12, 1)[0].to_string(), "y.example.");
    }
}
