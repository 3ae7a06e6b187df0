//! What one reply was, for the counters and the query log: its rcode, AD
//! bit and EDE codes, read off its wire form once ([`Summary::of`]).

/// EDE options counted per reply at most (a reply rarely has more than
/// two; any further ones go uncounted).
const EDES_KEPT: usize = 4;

/// What one reply was, for the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// The full (extended) rcode.
    pub rcode: u16,
    /// The AD bit.
    pub ad: bool,
    edes: [u16; EDES_KEPT],
    n_edes: u8,
}

impl Summary {
    /// Read a reply's rcode, AD bit and first few EDE codes from its wire
    /// form (a reply we built: a malformed one reads as far as it goes).
    pub fn of(wire: &[u8]) -> Summary {
        let mut s = Summary::default();
        let (Some(&b3), Some(counts)) = (wire.get(3), wire.get(4..12)) else { return s };
        s.rcode = u16::from(b3 & 0x0f);
        s.ad = b3 & 0x20 != 0;
        let count = |i: usize| usize::from(u16::from_be_bytes([counts[i], counts[i + 1]]));
        let (qd, rrs, ar) = (count(0), count(2) + count(4), count(6));
        let mut at = 12;
        for _ in 0..qd {
            let Some(end) = skip_name(wire, at) else { return s };
            at = end + 4;
        }
        for i in 0..rrs + ar {
            let Some(end) = skip_name(wire, at) else { return s };
            let Some(fixed) = wire.get(end..end + 10) else { return s };
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
            let Some(rdata) = wire.get(end + 10..end + 10 + rdlen) else { return s };
            if i >= rrs && rtype == 41 {
                s.rcode |= u16::from(fixed[4]) << 4;
                s.read_edes(rdata);
            }
            at = end + 10 + rdlen;
        }
        s
    }

    fn read_edes(&mut self, mut options: &[u8]) {
        while let Some(&[c0, c1, l0, l1]) = options.get(..4) {
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            let Some(data) = options.get(4..4 + len) else { return };
            if u16::from_be_bytes([c0, c1]) == 15
                && let Some(&[i0, i1]) = data.get(..2)
                && let Some(slot) = self.edes.get_mut(usize::from(self.n_edes))
            {
                *slot = u16::from_be_bytes([i0, i1]);
                self.n_edes += 1;
            }
            options = options.get(4 + len..).unwrap_or(&[]);
        }
    }

    /// The EDE codes read (at most four).
    pub fn edes(&self) -> &[u16] {
        self.edes.get(..usize::from(self.n_edes)).unwrap_or(&[])
    }
}

/// Where the name starting at `at` ends (past its last label or pointer).
fn skip_name(wire: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *wire.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l if l > 63 => return None,
            l => at += usize::from(l) + 1,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candor_wire::{Edns, EdnsOption, Message, Name, Question, RType, Rcode};

    /// A reply to www.example./A with one address, `rcode`, AD as given and
    /// an EDE option per code.
    pub(crate) fn reply(rcode: Rcode, ad: bool, edes: &[u16]) -> Vec<u8> {
        let mut m = Message::query(7, Question::new("www.example.".parse::<Name>().unwrap(), RType::A));
        m.header.flags.qr = true;
        m.header.flags.ad = ad;
        m.header.rcode = rcode;
        let mut e = Edns::default();
        for &code in edes {
            e.options.push(EdnsOption::Ede(candor_wire::ExtendedError { code, text: "why".to_owned() }));
        }
        m.answers = candor_wire::text::parse_zone("www.example. 300 IN A 192.0.2.1\n", None).unwrap();
        m.edns = Some(e);
        m.to_wire().unwrap()
    }

    #[test]
    fn a_reply_is_read_for_rcode_ad_and_ede_codes() {
        let s = Summary::of(&reply(Rcode::SERVFAIL, false, &[7, 13]));
        assert_eq!((s.rcode, s.ad, s.edes()), (2, false, &[7u16, 13][..]));
        let s = Summary::of(&reply(Rcode::NOERROR, true, &[]));
        assert_eq!((s.rcode, s.ad, s.edes()), (0, true, &[][..]));
        // BADVERS (16): four bits in the header, the rest in the OPT's TTL.
        let s = Summary::of(&reply(Rcode::BADVERS, false, &[]));
        assert_eq!(s.rcode, 16);
        assert_eq!(Summary::of(&[0u8; 5]), Summary::default(), "cut short: what could be read");
    }
}
