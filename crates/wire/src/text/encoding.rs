//! Base64 (RFC 4648 §4), base32hex without padding (RFC 4648 §7, as NSEC3
//! uses it) and hex, strict on input.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

/// Encode as base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    B64.iter().position(|&x| x == c).map(|p| p as u32)
}

/// Decode padded base64; `None` on any character outside the alphabet,
/// bad padding, or non-zero trailing bits.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    // Padding may be left off the last group (as some signers write it);
    // it may not be misplaced.
    let padded: String;
    let mut bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        if bytes.len() % 4 == 1 || bytes.contains(&b'=') {
            return None;
        }
        padded = format!("{text}{}", "=".repeat(4 - bytes.len() % 4));
        bytes = padded.as_bytes();
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.len() / 4;
    for (gi, group) in bytes.chunks(4).enumerate() {
        let pad = group.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && gi + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for &c in group.get(..4 - pad)? {
            n = n << 6 | b64_value(c)?;
        }
        n <<= 6 * pad as u32;
        let produced = 3 - pad;
        let all = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Bits beyond the produced octets must be zero (canonical encoding).
        if all.get(produced..)?.iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(all.get(..produced)?);
    }
    Some(out)
}

/// Encode as upper-case base32hex without padding.
pub fn base32hex_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut acc = 0u64;
    let mut bits = 0u32;
    for &b in data {
        acc = acc << 8 | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(B32HEX.get(((acc >> bits) & 0x1f) as usize).copied().unwrap_or(b'0')));
        }
    }
    if bits > 0 {
        out.push(char::from(B32HEX.get(((acc << (5 - bits)) & 0x1f) as usize).copied().unwrap_or(b'0')));
    }
    out
}

/// Decode base32hex without padding, either case; `None` on a bad
/// character, an impossible length or non-zero trailing bits.
pub fn base32hex_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut acc = 0u64;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        acc = (acc << 5 | u64::from(v)) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

/// Encode as upper-case hex.
pub fn hex_encode(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(data.len() * 2);
    for &b in data {
        out.push(char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0')));
    }
    out
}

/// Decode hex of either case; `None` on an odd length or a bad digit.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|p| {
            let hi = char::from(*p.first()?).to_digit(16)?;
            let lo = char::from(*p.get(1)?).to_digit(16)?;
            Some((hi << 4 | lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (raw, b64, b32) in [
            ("", "", ""),
            ("f", "Zg==", "CO"),
            ("fo", "Zm8=", "CPNG"),
            ("foo", "Zm9v", "CPNMU"),
            ("foob", "Zm9vYg==", "CPNMUOG"),
            ("fooba", "Zm9vYmE=", "CPNMUOJ1"),
            ("foobar", "Zm9vYmFy", "CPNMUOJ1E8"),
        ] {
            assert_eq!(base64_encode(raw.as_bytes()), b64);
            assert_eq!(base64_decode(b64).unwrap(), raw.as_bytes());
            assert_eq!(base32hex_encode(raw.as_bytes()), b32);
            assert_eq!(base32hex_decode(b32).unwrap(), raw.as_bytes());
            assert_eq!(base32hex_decode(&b32.to_lowercase()).unwrap(), raw.as_bytes());
        }
        // Padding left off is taken; misplaced or short padding is not.
        assert_eq!(base64_decode("Zg").unwrap(), b"f");
        assert_eq!(base64_decode("Zm9vYmE").unwrap(), b"fooba");
        assert_eq!(base64_decode("Zm9vY"), None);
        assert_eq!(base64_decode("Zh"), None);
        assert_eq!(base64_decode("Zg="), None);
        assert_eq!(base64_decode("Zh=="), None);
        assert_eq!(base64_decode("Z==="), None);
        assert_eq!(base64_decode("Zg==Zg=="), None);
        assert_eq!(base64_decode("Z!=="), None);
        assert_eq!(base32hex_decode("CP"), None);
        assert_eq!(base32hex_decode("W0"), None);
        assert_eq!(hex_decode("0aFf").unwrap(), [0x0a, 0xff]);
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("0g"), None);
    }
}
