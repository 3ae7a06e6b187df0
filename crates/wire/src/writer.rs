//! Building wire data into a caller-owned buffer, with name compression.

use std::collections::HashMap;

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
    /// Lowercased suffix wire form -> offset where it was written.
    targets: HashMap<Vec<u8>, u16>,
}

impl Writer {
    /// A writer that appends to `buf` (offsets count from its current start,
    /// so pass an empty buffer for a message).
    pub fn new(buf: Vec<u8>) -> Writer {
        Writer { buf, targets: HashMap::new() }
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
    /// pointer and register this name's suffixes as targets.
    pub fn name(&mut self, name: &Name, compress: bool) {
        let wire = name.as_wire();
        if !compress {
            self.buf.extend_from_slice(wire);
            return;
        }
        let lower = wire.to_ascii_lowercase();
        let mut off = 0usize;
        while let Some(suffix) = lower.get(off..) {
            let len = usize::from(suffix.first().copied().unwrap_or(0));
            if len == 0 {
                self.buf.push(0);
                return;
            }
            if let Some(&target) = self.targets.get(suffix) {
                self.u16(0xc000 | target);
                return;
            }
            let here = self.buf.len();
            if here < 0x4000 {
                self.targets.insert(suffix.to_vec(), here as u16);
            }
            if let Some(label) = wire.get(off..off + 1 + len) {
                self.buf.extend_from_slice(label);
            }
            off += 1 + len;
        }
    }
}
