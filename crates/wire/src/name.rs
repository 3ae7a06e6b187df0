//! Domain names: wire and text forms, case-insensitive equality, canonical
//! ordering (RFC 4034 §6.1).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::NameError;

/// Longest label, in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest name in wire form, in octets, root label included.
pub const MAX_NAME_LEN: usize = 255;

/// An absolute domain name.
///
/// Stored in uncompressed wire form with its case preserved. Equality,
/// hashing and ordering ignore ASCII case; `Ord` is the canonical DNS order.
///
/// ```
/// use candor_wire::Name;
/// let n: Name = "WWW.Example.com.".parse().unwrap();
/// assert_eq!(n, "www.example.COM".parse::<Name>().unwrap());
/// assert_eq!(n.to_string(), "WWW.Example.com.");
/// assert_eq!(n.label_count(), 3);
/// assert!(n.is_subdomain_of(&"example.com.".parse().unwrap()));
/// ```
#[derive(Clone)]
pub struct Name {
    wire: Box<[u8]>,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name { wire: Box::new([0]) }
    }

    /// Build a name from its labels, leftmost first (the root label is implied).
    pub fn from_labels<'a, I: IntoIterator<Item = &'a [u8]>>(labels: I) -> Result<Name, NameError> {
        let mut wire = Vec::with_capacity(32);
        for label in labels {
            push_label(&mut wire, label)?;
        }
        finish(wire)
    }

    /// Copy uncompressed wire form that has already been checked: labels
    /// of 1..=63 octets, a final root label, at most 255 octets (one
    /// allocation of their size).
    pub(crate) fn from_checked_slice(wire: &[u8]) -> Name {
        Name { wire: Box::from(wire) }
    }

    /// Parse presentation form relative to `origin` (`None`: the text must
    /// be absolute, or is taken as absolute when `assume_absolute`).
    pub fn from_text(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        parse_text(text, origin, false)
    }

    /// The uncompressed wire form, case preserved.
    pub fn as_wire(&self) -> &[u8] {
        &self.wire
    }

    /// Length of the wire form in octets.
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// True for `.`.
    pub fn is_root(&self) -> bool {
        self.wire.len() == 1
    }

    /// The labels, leftmost first, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.wire }
    }

    /// Number of labels, not counting the root.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The label count an RRSIG's labels field gives for this owner: the
    /// root and a leading `*` do not count (RFC 4034 §3.1.3).
    pub fn rrsig_label_count(&self) -> usize {
        let n = self.label_count();
        if self.is_wildcard() { n - 1 } else { n }
    }

    /// The leftmost label, if this is not the root.
    pub fn first_label(&self) -> Option<&[u8]> {
        self.labels().next()
    }

    /// True when the leftmost label is `*`.
    pub fn is_wildcard(&self) -> bool {
        self.first_label() == Some(b"*")
    }

    /// The name with its leftmost label removed; `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        let len = usize::from(*self.wire.first()?);
        if len == 0 {
            return None;
        }
        self.wire.get(1 + len..).map(|rest| Name { wire: rest.into() })
    }

    /// This name, then each ancestor up to and including the root.
    pub fn ancestors(&self) -> impl Iterator<Item = Name> + '_ {
        self.suffix_offsets().map(|off| Name { wire: self.wire.get(off..).unwrap_or(&[0]).into() })
    }

    /// The name made of the rightmost `n` labels (all of them if `n` is larger).
    pub fn trim_to(&self, n: usize) -> Name {
        let total = self.label_count();
        let skip = total.saturating_sub(n);
        let off = self.suffix_offsets().nth(skip).unwrap_or(self.wire.len() - 1);
        Name { wire: self.wire.get(off..).unwrap_or(&[0]).into() }
    }

    /// `label.self`.
    pub fn prepend(&self, label: &[u8]) -> Result<Name, NameError> {
        let mut wire = Vec::with_capacity(self.wire.len() + label.len() + 1);
        push_label(&mut wire, label)?;
        wire.extend_from_slice(&self.wire);
        finish_absolute(wire)
    }

    /// `*.self`.
    pub fn wildcard(&self) -> Result<Name, NameError> {
        self.prepend(b"*")
    }

    /// True when `self` is `other` or below it (case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        if other.wire.len() > self.wire.len() {
            return false;
        }
        let want = self.wire.len() - other.wire.len();
        // The octets first (the common case is a mismatch, found in a
        // comparison as long as `other`), then whether they start a label
        // (a walk as long as `self`, only for a match).
        self.wire.get(want..).is_some_and(|s| s.eq_ignore_ascii_case(&other.wire))
            && self.suffix_offsets().find(|&off| off >= want) == Some(want)
    }

    /// Copy with every ASCII letter lowercased: the canonical form (RFC 4034 §6.2).
    pub fn to_lowercase(&self) -> Name {
        Name { wire: self.wire.to_ascii_lowercase().into_boxed_slice() }
    }

    /// Number of rightmost labels this name shares with `other`.
    pub fn common_label_count(&self, other: &Name) -> usize {
        let mut a = self.label_stack();
        let mut b = other.label_stack();
        let mut n = 0;
        while let (Some(x), Some(y)) = (a.pop(), b.pop()) {
            if !x.eq_ignore_ascii_case(y) {
                break;
            }
            n += 1;
        }
        n
    }

    /// Offsets in the wire form where each suffix starts, this name first,
    /// the root last.
    fn suffix_offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let mut off = Some(0usize);
        std::iter::from_fn(move || {
            let cur = off?;
            let len = usize::from(*self.wire.get(cur)?);
            off = if len == 0 { None } else { Some(cur + 1 + len) };
            Some(cur)
        })
    }

    /// Labels as a stack, leftmost at the bottom.
    fn label_stack(&self) -> Vec<&[u8]> {
        self.labels().collect()
    }
}

fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel { text: String::new() });
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(NameError::LabelTooLong { len: label.len() });
    }
    wire.push(label.len() as u8);
    wire.extend_from_slice(label);
    Ok(())
}

fn finish(mut wire: Vec<u8>) -> Result<Name, NameError> {
    wire.push(0);
    finish_absolute(wire)
}

fn finish_absolute(wire: Vec<u8>) -> Result<Name, NameError> {
    if wire.len() > MAX_NAME_LEN {
        return Err(NameError::NameTooLong { len: wire.len() });
    }
    Ok(Name { wire: wire.into_boxed_slice() })
}

/// Parse presentation form. `assume_absolute` makes `example.com` absolute.
pub(crate) fn parse_text(text: &str, origin: Option<&Name>, assume_absolute: bool) -> Result<Name, NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text == "." {
        return Ok(Name::root());
    }
    let bytes = text.as_bytes();
    let mut wire = Vec::with_capacity(bytes.len() + 2);
    let mut label: Vec<u8> = Vec::with_capacity(63);
    let mut absolute = false;
    let mut i = 0;
    let bad_escape = || NameError::BadEscape { text: text.to_owned() };
    let empty = || NameError::EmptyLabel { text: text.to_owned() };
    while let Some(&b) = bytes.get(i) {
        match b {
            b'.' => {
                if label.is_empty() {
                    return Err(empty());
                }
                push_label(&mut wire, &label)?;
                label.clear();
                if i + 1 == bytes.len() {
                    absolute = true;
                }
                i += 1;
            }
            b'\\' => {
                let next = *bytes.get(i + 1).ok_or_else(bad_escape)?;
                if next.is_ascii_digit() {
                    let digits = bytes.get(i + 1..i + 4).ok_or_else(bad_escape)?;
                    if !digits.iter().all(u8::is_ascii_digit) {
                        return Err(bad_escape());
                    }
                    let v = digits.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                    label.push(u8::try_from(v).map_err(|_| bad_escape())?);
                    i += 4;
                } else {
                    label.push(next);
                    i += 2;
                }
            }
            _ => {
                label.push(b);
                i += 1;
            }
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong { len: label.len() });
        }
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong { len: wire.len() + 1 });
        }
    }
    if !label.is_empty() {
        push_label(&mut wire, &label)?;
    }
    if absolute || assume_absolute {
        return finish(wire);
    }
    let origin = origin.ok_or_else(|| NameError::Relative { text: text.to_owned() })?;
    wire.extend_from_slice(origin.as_wire());
    finish_absolute(wire)
}

/// Iterator over a name's labels, leftmost first.
#[derive(Clone)]
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        let len = usize::from(len);
        if len == 0 {
            self.rest = &[];
            return None;
        }
        let label = tail.get(..len)?;
        self.rest = tail.get(len..).unwrap_or(&[]);
        Some(label)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.wire.eq_ignore_ascii_case(&other.wire)
    }
}

impl Eq for Name {}

impl Hash for Name {
    /// The lowercased wire form, handed to the hasher in one piece (a
    /// name is at most 255 octets): as equality ignores case, so does
    /// the hash.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut lower = [0u8; 255];
        let n = self.wire.len().min(lower.len());
        for (l, b) in lower.iter_mut().zip(self.wire.iter()) {
            *l = b.to_ascii_lowercase();
        }
        state.write(lower.get(..n).unwrap_or(&[]));
    }
}

impl Ord for Name {
    /// Canonical DNS name order (RFC 4034 §6.1): compare labels from the
    /// right, each as a lowercased octet string.
    fn cmp(&self, other: &Name) -> Ordering {
        let mut a = self.label_stack();
        let mut b = other.label_stack();
        loop {
            match (a.pop(), b.pop()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => {
                    let ord = x.iter().map(u8::to_ascii_lowercase).cmp(y.iter().map(u8::to_ascii_lowercase));
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
            }
        }
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Write one label in presentation form, escaping as RFC 4343 §2.1 allows.
pub(crate) fn write_label(f: &mut impl fmt::Write, label: &[u8]) -> fmt::Result {
    for &b in label {
        match b {
            b'.' | b';' | b'(' | b')' | b'"' | b'\\' | b'@' | b'$' => write!(f, "\\{}", b as char)?,
            0x21..=0x7e => f.write_char(b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            write_label(f, label)?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl FromStr for Name {
    type Err = NameError;
    /// Parse presentation form; a name without a final dot is taken as absolute.
    fn from_str(s: &str) -> Result<Name, NameError> {
        parse_text(s, None, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn canonical_order_rfc4034_6_1() {
        // The example list from RFC 4034 §6.1, in canonical order.
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        let names: Vec<Name> = ordered.iter().map(|s| n(s)).collect();
        for w in names.windows(2) {
            assert_eq!(w[0].cmp(&w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        let mut shuffled = names.clone();
        shuffled.reverse();
        shuffled.sort();
        assert_eq!(shuffled, names);
    }

    #[test]
    fn case_insensitive_equality_and_hash() {
        use std::collections::HashSet;
        let mut set = HashSet::new();
        set.insert(n("WWW.Example.COM."));
        assert!(set.contains(&n("www.example.com.")));
        assert_eq!(n("WWW.Example.COM.").to_string(), "WWW.Example.COM.");
        assert_eq!(n("WWW.Example.COM.").to_lowercase().to_string(), "www.example.com.");
    }

    #[test]
    fn escapes_round_trip() {
        let name = n("a\\.b\\032c\\\\.example.");
        assert_eq!(name.label_count(), 2);
        assert_eq!(name.first_label(), Some(&b"a.b c\\"[..]));
        assert_eq!(name.to_string(), "a\\.b\\032c\\\\.example.");
        assert_eq!(n(&name.to_string()), name);
        assert_eq!(n("\\255.x.").first_label(), Some(&[255u8][..]));
    }

    #[test]
    fn limits() {
        let l63 = "a".repeat(63);
        assert!(Name::from_text(&format!("{l63}."), None).is_ok());
        assert_eq!(Name::from_text(&format!("{l63}a."), None), Err(NameError::LabelTooLong { len: 64 }));
        // 4 labels of 63 = 256 octets + root = 257 > 255.
        let long = format!("{l63}.{l63}.{l63}.{l63}.");
        assert!(matches!(Name::from_text(&long, None), Err(NameError::NameTooLong { .. })));
        // 3*64 + 62 = 254, plus root = 255: allowed.
        let max = format!("{l63}.{l63}.{l63}.{}.", "a".repeat(61));
        assert_eq!(Name::from_text(&max, None).unwrap().wire_len(), 255);
        assert_eq!(Name::from_text("a..b.", None), Err(NameError::EmptyLabel { text: "a..b.".into() }));
        assert_eq!(Name::from_text("\\256.", None), Err(NameError::BadEscape { text: "\\256.".into() }));
        assert_eq!(Name::from_text("www", None), Err(NameError::Relative { text: "www".into() }));
    }

    #[test]
    fn relatives() {
        let origin = n("example.com.");
        assert_eq!(Name::from_text("www", Some(&origin)).unwrap(), n("www.example.com."));
        assert_eq!(Name::from_text("www.other.", Some(&origin)).unwrap(), n("www.other."));
    }

    #[test]
    fn tree_navigation() {
        let name = n("*.a.Example.");
        assert!(name.is_wildcard());
        assert_eq!(name.label_count(), 3);
        assert_eq!(name.rrsig_label_count(), 2);
        assert_eq!(name.parent().unwrap(), n("a.example."));
        let anc: Vec<String> = name.ancestors().map(|a| a.to_string()).collect();
        assert_eq!(anc, ["*.a.Example.", "a.Example.", "Example.", "."]);
        assert_eq!(name.trim_to(1), n("example."));
        assert_eq!(name.trim_to(9), name);
        assert_eq!(name.trim_to(0), Name::root());
        assert!(name.is_subdomain_of(&n("EXAMPLE.")));
        assert!(name.is_subdomain_of(&Name::root()));
        assert!(!n("xexample.").is_subdomain_of(&n("example.")));
        assert!(!n("example.").is_subdomain_of(&n("a.example.")));
        // The octets of `example.` end this name, but inside a label.
        assert!(!n("b\\007example.").is_subdomain_of(&n("example.")));
        assert!(n("x.b\\007example.").is_subdomain_of(&n("b\\007EXAMPLE.")));
        assert_eq!(n("a.b.example.").common_label_count(&n("c.B.example.")), 2);
        assert_eq!(n("example.").wildcard().unwrap(), n("*.example."));
        assert!(Name::root().parent().is_none());
    }
}
