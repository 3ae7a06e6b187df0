//! NSEC/NSEC3 type bitmaps (RFC 4034 §4.1.2).

use crate::error::{BitmapError, WireError};
use crate::reader::Reader;
use crate::types::RType;
use crate::writer::Writer;

/// The set of types an NSEC or NSEC3 record says exist at its owner.
///
/// Kept as a sorted list without duplicates; the wire form is rebuilt from
/// it, and parsing rejects every non-canonical encoding, so parse → write
/// reproduces the signed octets exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TypeBitmap {
    types: Vec<RType>,
}

impl TypeBitmap {
    /// A bitmap holding `types` (any order, duplicates dropped).
    pub fn new(types: impl IntoIterator<Item = RType>) -> TypeBitmap {
        let mut types: Vec<RType> = types.into_iter().collect();
        types.sort_unstable();
        types.dedup();
        TypeBitmap { types }
    }

    /// True if `t` is in the set.
    pub fn contains(&self, t: RType) -> bool {
        self.types.binary_search(&t).is_ok()
    }

    /// The types, in increasing order.
    pub fn types(&self) -> &[RType] {
        &self.types
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Parse the bitmap filling the rest of the reader.
    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<TypeBitmap, WireError> {
        let mut types = Vec::new();
        let mut last_window: Option<u8> = None;
        while !r.is_empty() {
            let offset = r.pos();
            let window = r.u8("type bitmap window")?;
            let len = r.u8("type bitmap length")?;
            let bad = |reason| WireError::BadBitmap { offset, reason };
            if last_window.is_some_and(|w| window <= w) {
                return Err(bad(BitmapError::WindowOrder { window }));
            }
            if len == 0 || len > 32 {
                return Err(bad(BitmapError::WindowLength { window, len }));
            }
            let bits = r.bytes(usize::from(len), "type bitmap")?;
            if bits.last() == Some(&0) {
                return Err(bad(BitmapError::TrailingZero { window }));
            }
            for (i, byte) in bits.iter().enumerate() {
                for bit in 0..8u16 {
                    if byte & (0x80 >> bit) != 0 {
                        types.push(RType(u16::from(window) << 8 | (i as u16) << 3 | bit));
                    }
                }
            }
            last_window = Some(window);
        }
        Ok(TypeBitmap { types })
    }

    /// Append the wire form.
    pub fn write(&self, w: &mut Writer) {
        let mut i = 0;
        while let Some(first) = self.types.get(i) {
            let window = (first.0 >> 8) as u8;
            let mut bits = [0u8; 32];
            let mut used = 0usize;
            while let Some(t) = self.types.get(i).filter(|t| (t.0 >> 8) as u8 == window) {
                let low = usize::from(t.0 & 0xff);
                if let Some(b) = bits.get_mut(low / 8) {
                    *b |= 0x80 >> (low % 8);
                }
                used = low / 8 + 1;
                i += 1;
            }
            w.u8(window);
            w.u8(used as u8);
            w.bytes(bits.get(..used).unwrap_or(&[]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4034_4_3_example_bitmap() {
        // RFC 4034 §4.3: A MX RRSIG NSEC TYPE1234.
        let bm = TypeBitmap::new([RType::A, RType::MX, RType::RRSIG, RType::NSEC, RType(1234)]);
        let mut w = Writer::default();
        bm.write(&mut w);
        let mut expected = vec![0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b];
        expected.extend([0u8; 26]);
        expected.push(0x20);
        assert_eq!(w.finish(), expected);
        let mut r = Reader::detached(&expected);
        assert_eq!(TypeBitmap::parse(&mut r).unwrap(), bm);
    }

    #[test]
    fn rejects_non_canonical() {
        let mut r = Reader::detached(&[0, 1, 0x40, 0, 1, 0x40]);
        assert_eq!(
            TypeBitmap::parse(&mut r),
            Err(WireError::BadBitmap { offset: 3, reason: BitmapError::WindowOrder { window: 0 } })
        );
        let mut r = Reader::detached(&[0, 2, 0x40, 0]);
        assert_eq!(
            TypeBitmap::parse(&mut r),
            Err(WireError::BadBitmap { offset: 0, reason: BitmapError::TrailingZero { window: 0 } })
        );
        let mut r = Reader::detached(&[0, 0]);
        assert_eq!(
            TypeBitmap::parse(&mut r),
            Err(WireError::BadBitmap { offset: 0, reason: BitmapError::WindowLength { window: 0, len: 0 } })
        );
    }
}
