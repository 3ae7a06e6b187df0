//! A bounds-checked cursor over wire data, with name decompression.

use crate::error::WireError;
use crate::name::{MAX_NAME_LEN, Name};

/// A cursor over a message. Reads stop at `end`, which can be narrowed to
/// one record's RDATA; compression pointers may reach anywhere before them
/// in the whole message.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    /// False when reading rdata on its own, where no pointer can be followed.
    in_message: bool,
}

impl<'a> Reader<'a> {
    /// A reader over a whole message.
    pub(crate) fn message(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, end: buf.len(), in_message: true }
    }

    /// A reader over bytes that are not a message (rdata from text, say).
    pub(crate) fn detached(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, end: buf.len(), in_message: false }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    /// A reader over the next `len` octets that shares this one's message;
    /// this reader skips past them.
    pub(crate) fn split(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, WireError> {
        if self.remaining() < len {
            return Err(self.truncated(what));
        }
        let sub = Reader { buf: self.buf, pos: self.pos, end: self.pos + len, in_message: self.in_message };
        self.pos += len;
        Ok(sub)
    }

    pub(crate) fn truncated(&self, what: &'static str) -> WireError {
        WireError::Truncated { offset: self.end.min(self.buf.len()), what }
    }

    pub(crate) fn bytes(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.remaining() < len {
            return Err(self.truncated(what));
        }
        let out = self.buf.get(self.pos..self.pos + len).ok_or_else(|| self.truncated(what))?;
        self.pos += len;
        Ok(out)
    }

    /// Everything up to `end`.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..self.end).unwrap_or(&[]);
        self.pos = self.end;
        out
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        let b = self.bytes(1, what)?;
        b.first().copied().ok_or_else(|| self.truncated(what))
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.bytes(2, what)?;
        let arr: [u8; 2] = b.try_into().map_err(|_| self.truncated(what))?;
        Ok(u16::from_be_bytes(arr))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        let b = self.bytes(4, what)?;
        let arr: [u8; 4] = b.try_into().map_err(|_| self.truncated(what))?;
        Ok(u32::from_be_bytes(arr))
    }

    /// A `<character-string>`: a length octet and that many octets.
    pub(crate) fn char_string(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let len = self.u8(what)?;
        self.bytes(usize::from(len), what)
    }

    /// A domain name, following compression pointers. Each pointer must
    /// point strictly backwards (and past the header), so decompression
    /// always ends; the expanded name may not exceed 255 octets.
    pub(crate) fn name(&mut self) -> Result<Name, WireError> {
        let start = self.pos;
        // Gathered on the stack, then allocated once at its size (a
        // growing Vec shrunk to a box cost a realloc per name: most of the
        // allocator's time in parsing a large response).
        let mut wire = [0u8; MAX_NAME_LEN];
        let mut len_so_far = 0usize;
        // Where to read the next label; `self.pos` stops after the first pointer.
        let mut at = self.pos;
        let mut jumped = false;
        loop {
            let limit = if jumped { self.buf.len() } else { self.end };
            if at >= limit {
                return Err(WireError::Truncated { offset: at, what: "domain name" });
            }
            let len = *self.buf.get(at).ok_or(WireError::Truncated { offset: at, what: "domain name" })?;
            match len & 0xc0 {
                0x00 => {
                    let n = usize::from(len);
                    let label = self
                        .buf
                        .get(at..at + 1 + n)
                        .filter(|_| at + 1 + n <= limit)
                        .ok_or(WireError::Truncated { offset: limit, what: "domain name" })?;
                    let dst = wire
                        .get_mut(len_so_far..len_so_far + label.len())
                        .ok_or(WireError::NameTooLong { offset: start })?;
                    dst.copy_from_slice(label);
                    len_so_far += label.len();
                    at += 1 + n;
                    if !jumped {
                        self.pos = at;
                    }
                    if n == 0 {
                        return Ok(Name::from_checked_slice(wire.get(..len_so_far).unwrap_or(&[0])));
                    }
                }
                0xc0 => {
                    if !self.in_message {
                        return Err(WireError::UnexpectedPointer { offset: at });
                    }
                    let lo = *self
                        .buf
                        .get(at + 1)
                        .filter(|_| at + 1 < limit)
                        .ok_or(WireError::Truncated { offset: limit, what: "compression pointer" })?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3f, lo]));
                    if target == at {
                        return Err(WireError::PointerLoop { offset: at });
                    }
                    if target > at {
                        return Err(WireError::ForwardPointer { offset: at, target });
                    }
                    if target < 12 {
                        return Err(WireError::PointerIntoHeader { offset: at, target });
                    }
                    if !jumped {
                        self.pos = at + 2;
                        jumped = true;
                    }
                    at = target;
                }
                _ => {
                    return Err(WireError::BadLabelType { offset: at, byte: len });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_then(rest: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend_from_slice(rest);
        v
    }

    /// Labels of these lengths, then the root label.
    fn labels(lens: &[usize]) -> Vec<u8> {
        let mut v = Vec::new();
        for &n in lens {
            v.push(n as u8);
            v.extend(std::iter::repeat_n(b'a', n));
        }
        v.push(0);
        v
    }

    #[test]
    fn names_may_have_255_octets_and_no_more() {
        // 3 x 64 + 62 + 1 = 255 octets.
        let msg = header_then(&labels(&[63, 63, 63, 61]));
        let mut r = Reader::message(&msg);
        r.pos = 12;
        assert_eq!(r.name().unwrap().wire_len(), 255);
        let msg = header_then(&labels(&[63, 63, 63, 62]));
        let mut r = Reader::message(&msg);
        r.pos = 12;
        assert!(matches!(r.name(), Err(WireError::NameTooLong { offset: 12 })));
        // Too long through a pointer: 64 + 63 octets, then the 129 of the
        // name at offset 12.
        let mut msg = header_then(&labels(&[63, 63]));
        let at = msg.len();
        msg.push(63);
        msg.extend(std::iter::repeat_n(b'b', 63));
        msg.push(62);
        msg.extend(std::iter::repeat_n(b'b', 62));
        msg.extend_from_slice(&[0xc0, 12]);
        let mut r = Reader::message(&msg);
        r.pos = at;
        assert!(matches!(r.name(), Err(WireError::NameTooLong { .. })));
        // One octet less fits.
        let len = msg.len();
        msg[at + 64] = 61;
        msg.remove(at + 65);
        assert_eq!(msg.len(), len - 1);
        let mut r = Reader::message(&msg);
        r.pos = at;
        assert_eq!(r.name().unwrap().wire_len(), 255);
    }

    #[test]
    fn follows_backward_pointers() {
        let msg = header_then(&[3, b'c', b'o', b'm', 0, 1, b'a', 0xc0, 12]);
        let mut r = Reader::message(&msg);
        r.bytes(17, "skip").unwrap();
        let name = r.name().unwrap();
        assert_eq!(name.to_string(), "a.com.");
        assert_eq!(r.pos(), msg.len());
    }

    #[test]
    fn pointer_chain_that_returns_forward_is_rejected() {
        // 12: ptr -> 14, 14: ptr -> 12 (forward from 12's view is checked first).
        let msg = header_then(&[0xc0, 14, 0xc0, 12]);
        let mut r = Reader::message(&msg);
        r.bytes(12, "skip").unwrap();
        assert_eq!(r.name(), Err(WireError::ForwardPointer { offset: 12, target: 14 }));
        let mut r = Reader::message(&msg);
        r.bytes(14, "skip").unwrap();
        assert_eq!(r.name(), Err(WireError::ForwardPointer { offset: 12, target: 14 }));
    }
}
