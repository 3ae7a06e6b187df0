//! EDNS(0) (RFC 6891): the OPT pseudo-record and its options.

use crate::error::{WireError, WriteError};
use crate::reader::Reader;
use crate::writer::Writer;

/// Option codes this crate gives a typed form.
pub mod code {
    /// DNS cookie (RFC 7873).
    pub const COOKIE: u16 = 10;
    /// Padding (RFC 7830).
    pub const PADDING: u16 = 12;
    /// Extended DNS Error (RFC 8914).
    pub const EDE: u16 = 15;
}

/// An Extended DNS Error (RFC 8914 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtendedError {
    /// INFO-CODE from the IANA registry.
    pub code: u16,
    /// EXTRA-TEXT, UTF-8; invalid UTF-8 received is replaced (U+FFFD).
    pub text: String,
}

/// One EDNS option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EdnsOption {
    /// RFC 7873 cookie: an 8-octet client cookie and an optional 8 to 32
    /// octet server cookie.
    Cookie {
        /// Client cookie.
        client: [u8; 8],
        /// Server cookie, empty when absent.
        server: Vec<u8>,
    },
    /// RFC 7830 padding of this many octets (its content is ignored and
    /// written as zeros).
    Padding(u16),
    /// RFC 8914 Extended DNS Error.
    Ede(ExtendedError),
    /// Any other option, kept opaque.
    Other {
        /// Option code.
        code: u16,
        /// Option data.
        data: Vec<u8>,
    },
}

/// The content of an OPT record.
///
/// The upper eight bits of the rcode travel in the OPT TTL; [`crate::Message`]
/// keeps the whole 12-bit rcode in its header and splits it when writing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edns {
    /// Requestor's UDP payload size (the OPT class).
    pub udp_size: u16,
    /// EDNS version.
    pub version: u8,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
    /// The other 15 flag bits (must be zero; kept for round trips).
    pub z: u16,
    /// Options, in order.
    pub options: Vec<EdnsOption>,
}

impl Default for Edns {
    fn default() -> Edns {
        Edns { udp_size: 1232, version: 0, dnssec_ok: false, z: 0, options: Vec::new() }
    }
}

impl Edns {
    /// The first Extended DNS Error option, if any.
    pub fn ede(&self) -> Option<&ExtendedError> {
        self.options.iter().find_map(|o| match o {
            EdnsOption::Ede(e) => Some(e),
            _ => None,
        })
    }

    /// Parse the OPT rdata into options.
    pub(crate) fn parse_options(r: &mut Reader<'_>) -> Result<Vec<EdnsOption>, WireError> {
        let mut options = Vec::new();
        while !r.is_empty() {
            let offset = r.pos();
            let code = r.u16("EDNS option code")?;
            let len = r.u16("EDNS option length")?;
            let data = r.bytes(usize::from(len), "EDNS option data")?;
            let bad = || WireError::BadEdnsOption { offset, code };
            let opt = match code {
                code::COOKIE => {
                    let (client, server) = data.split_at_checked(8).ok_or_else(bad)?;
                    if !(server.is_empty() || (8..=32).contains(&server.len())) {
                        return Err(bad());
                    }
                    EdnsOption::Cookie { client: client.try_into().map_err(|_| bad())?, server: server.to_vec() }
                }
                code::PADDING => EdnsOption::Padding(len),
                code::EDE => {
                    let (info, text) = data.split_at_checked(2).ok_or_else(bad)?;
                    let code = u16::from_be_bytes(info.try_into().map_err(|_| bad())?);
                    EdnsOption::Ede(ExtendedError { code, text: String::from_utf8_lossy(text).into_owned() })
                }
                _ => EdnsOption::Other { code, data: data.to_vec() },
            };
            options.push(opt);
        }
        Ok(options)
    }

    /// Append the options (the OPT rdata).
    pub(crate) fn write_options(&self, w: &mut Writer) -> Result<(), WriteError> {
        for opt in &self.options {
            let (code, body): (u16, Vec<u8>) = match opt {
                EdnsOption::Cookie { client, server } => {
                    let mut v = client.to_vec();
                    v.extend_from_slice(server);
                    (code::COOKIE, v)
                }
                EdnsOption::Padding(n) => (code::PADDING, vec![0; usize::from(*n)]),
                EdnsOption::Ede(e) => {
                    let mut v = e.code.to_be_bytes().to_vec();
                    v.extend_from_slice(e.text.as_bytes());
                    (code::EDE, v)
                }
                EdnsOption::Other { code, data } => (*code, data.clone()),
            };
            w.u16(code);
            w.u16(u16::try_from(body.len()).map_err(|_| WriteError::TooLong("EDNS option"))?);
            w.bytes(&body);
        }
        Ok(())
    }
}
