//! Typed errors for the wire and text forms.

use crate::types::RType;

/// Why a domain name could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// A label is longer than 63 octets.
    #[error("label of {len} octets is longer than 63")]
    LabelTooLong {
        /// The label's length in octets.
        len: usize,
    },
    /// The name is longer than 255 octets in wire form.
    #[error("name of {len} octets is longer than 255 in wire form")]
    NameTooLong {
        /// The wire length it would have had.
        len: usize,
    },
    /// Two dots in a row, or a leading dot, in text.
    #[error("empty label in {text:?}")]
    EmptyLabel {
        /// The offending text.
        text: String,
    },
    /// A `\DDD` escape above 255, or a backslash at the end of the text.
    #[error("bad escape in {text:?}")]
    BadEscape {
        /// The offending text.
        text: String,
    },
    /// The text was empty.
    #[error("empty name")]
    Empty,
    /// A relative name was given where no origin is known.
    #[error("relative name {text:?} with no origin to complete it")]
    Relative {
        /// The offending text.
        text: String,
    },
}

/// Why bytes could not be read as DNS wire format.
///
/// Offsets count from the start of the message (or of the rdata, when rdata
/// is parsed on its own).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The input ended before `what` was complete.
    #[error("input ends at offset {offset} inside {what}")]
    Truncated {
        /// Where reading stopped.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A label-type byte 0b01xxxxxx or 0b10xxxxxx (RFC 6891 §5 retired them).
    #[error("unsupported label type 0x{byte:02x} at offset {offset}")]
    BadLabelType {
        /// Offset of the length byte.
        offset: usize,
        /// The length byte.
        byte: u8,
    },
    /// A name that expands past 255 octets.
    #[error("name at offset {offset} is longer than 255 octets")]
    NameTooLong {
        /// Offset where the name started.
        offset: usize,
    },
    /// A compression pointer that points at or after itself.
    #[error("compression pointer at offset {offset} points forward to {target}")]
    ForwardPointer {
        /// Offset of the pointer.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// A compression pointer that points at itself.
    #[error("compression pointer at offset {offset} points at itself")]
    PointerLoop {
        /// Offset of the pointer.
        offset: usize,
    },
    /// A compression pointer into the 12-octet header.
    #[error("compression pointer at offset {offset} points into the header ({target})")]
    PointerIntoHeader {
        /// Offset of the pointer.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// A compression pointer where none can be followed (rdata read on its own).
    #[error("compression pointer at offset {offset} outside a message")]
    UnexpectedPointer {
        /// Offset of the pointer.
        offset: usize,
    },
    /// A record's rdata did not use exactly RDLENGTH octets.
    #[error("{rtype} rdata at offset {offset}: {extra} octets left over of RDLENGTH {rdlength}")]
    TrailingRdata {
        /// Offset of the rdata.
        offset: usize,
        /// The record type.
        rtype: RType,
        /// RDLENGTH as given.
        rdlength: u16,
        /// Octets left unread.
        extra: usize,
    },
    /// The rdata is of a length the type does not allow.
    #[error("{rtype} rdata at offset {offset} has invalid length {len}")]
    BadRdataLength {
        /// Offset of the rdata.
        offset: usize,
        /// The record type.
        rtype: RType,
        /// The length found.
        len: usize,
    },
    /// An NSEC/NSEC3 type bitmap breaking RFC 4034 §4.1.2.
    #[error("bad type bitmap at offset {offset}: {reason}")]
    BadBitmap {
        /// Offset of the window.
        offset: usize,
        /// What is wrong.
        reason: BitmapError,
    },
    /// Bytes after the last record the header counts announce.
    #[error("{extra} octets after the last record")]
    TrailingBytes {
        /// How many octets.
        extra: usize,
    },
    /// More than one OPT record (RFC 6891 §6.1.1: FORMERR).
    #[error("second OPT record at offset {offset}")]
    MultipleOpt {
        /// Offset of the second OPT.
        offset: usize,
    },
    /// An OPT record outside the additional section or not owned by the root.
    #[error("misplaced OPT record at offset {offset}")]
    MisplacedOpt {
        /// Offset of the record.
        offset: usize,
    },
    /// An EDNS option whose content is malformed.
    #[error("malformed EDNS option {code} at offset {offset}")]
    BadEdnsOption {
        /// Offset of the option.
        offset: usize,
        /// The option code.
        code: u16,
    },
}

/// What is wrong with an NSEC/NSEC3 type bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BitmapError {
    /// Window blocks must come in increasing order, each at most once.
    #[error("window {window} is not after the previous one")]
    WindowOrder {
        /// The window number.
        window: u8,
    },
    /// A window's bitmap length must be 1 to 32.
    #[error("window {window} has bitmap length {len}")]
    WindowLength {
        /// The window number.
        window: u8,
        /// The length given.
        len: u8,
    },
    /// Trailing zero octets must be omitted.
    #[error("window {window} ends in a zero octet")]
    TrailingZero {
        /// The window number.
        window: u8,
    },
}

/// Why a message could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// An rcode above 15 needs an OPT record to carry its upper bits.
    #[error("rcode {0} needs EDNS")]
    ExtendedRcodeWithoutOpt(u16),
    /// A section holds more than 65535 entries.
    #[error("a section holds more than 65535 entries")]
    TooManyRecords,
    /// An rdata or option longer than 65535 octets.
    #[error("{0} is longer than 65535 octets")]
    TooLong(&'static str),
}
