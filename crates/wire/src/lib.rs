//! # candor-wire
//!
//! The DNS as bytes and as text: domain names, messages, resource records,
//! EDNS(0), zone-file text, RFC 4034 canonical form and RFC 1982 serial
//! arithmetic.
//!
//! **Owns**: parsing and writing the wire format (with compression exactly
//! where RFC 3597 §4 allows it), presentation format, master files, the
//! canonical name order and RRset order that signatures and NSEC depend on.
//!
//! **Must not know about**: networks, sockets, clocks, caches, DNSSEC
//! policy or cryptography. Whether a signature is valid, or a zone secure,
//! is decided above this crate.
//!
//! **Robustness**: no input makes parsing panic, loop or allocate without
//! bound; every failure is a typed error ([`WireError`], [`NameError`],
//! [`text::ZoneError`]). The panic-freedom lints below enforce it.
//!
//! **Known limitations**: SVCB/HTTPS rdata stays opaque (read and printed in
//! RFC 3597 `\#` form); `$GENERATE` is not supported; padding option content
//! is not kept (it is written back as zeros).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bitmap;
mod edns;
mod error;
mod message;
mod name;
mod rdata;
mod reader;
mod record;
mod serial;
pub mod text;
mod types;
mod writer;

pub use bitmap::TypeBitmap;
pub use edns::{Edns, EdnsOption, ExtendedError, code as edns_code};
pub use error::{BitmapError, NameError, WireError, WriteError};
pub use message::{Flags, Header, Message};
pub use name::{Labels, MAX_LABEL_LEN, MAX_NAME_LEN, Name};
pub use rdata::{
    Caa, Dnskey, Ds, Form, Hinfo, Mx, Naptr, Nsec, Nsec3, Nsec3Param, Px, RData, Rrsig, Soa, Srv, Sshfp, Tlsa,
};
pub use record::{Question, Record, canonical_order};
pub use serial::{Serial, Timestamp, parse_timestamp};
pub use types::{Algorithm, Class, Opcode, RType, Rcode, digest};
pub use writer::Writer;
