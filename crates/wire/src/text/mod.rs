//! Zone-file text (RFC 1035 §5): reading master files and printing records
//! in dig-like presentation form.

mod encoding;
mod lexer;
mod present;
mod zone;

use std::fmt;
use std::path::PathBuf;

pub use encoding::{base32hex_decode, base32hex_encode, base64_decode, base64_encode, hex_decode, hex_encode};
pub use zone::{ZoneParser, parse_zone};

use crate::error::{NameError, WireError};
use crate::types::RType;

/// A zone-file error with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ZoneError {
    /// The file, when reading from one (or from an `$INCLUDE`).
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub kind: ZoneErrorKind,
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            // Line 0: the file itself (it could not be read).
            Some(p) if self.line == 0 => write!(f, "{}: {}", p.display(), self.kind),
            Some(p) => write!(f, "{}:{}:{}: {}", p.display(), self.line, self.column, self.kind),
            None => write!(f, "line {}:{}: {}", self.line, self.column, self.kind),
        }
    }
}

/// What went wrong in zone-file text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneErrorKind {
    /// A `(` that is never closed (reported where it opened).
    #[error("unbalanced '(': no matching ')' before the end of the file")]
    UnbalancedOpen,
    /// A `)` with no `(` before it.
    #[error("unbalanced ')'")]
    UnbalancedClose,
    /// A quoted string that reaches the end of the line.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `$` directive this parser does not know.
    #[error("unknown directive {0}")]
    UnknownDirective(String),
    /// An entry that omits its owner before any owner was given.
    #[error("no owner name, and no previous owner to repeat")]
    NoOwner,
    /// A bad domain name.
    #[error("bad name: {0}")]
    BadName(NameError),
    /// A type mnemonic that is unknown.
    #[error("unknown type {0:?} (use TYPEnnn with \\# rdata)")]
    UnknownType(String),
    /// A token that is not what the field needs.
    #[error("expected {what}, found {found:?}")]
    Expected {
        /// What the field needs.
        what: &'static str,
        /// What was there.
        found: String,
    },
    /// The entry ended before a field.
    #[error("missing {what}")]
    Missing {
        /// The missing field.
        what: &'static str,
    },
    /// Tokens after the last field.
    #[error("unexpected {found:?} after the rdata")]
    TrailingTokens {
        /// The first extra token.
        found: String,
    },
    /// A character string over 255 octets.
    #[error("string of {len} octets is longer than 255")]
    StringTooLong {
        /// Its length.
        len: usize,
    },
    /// `\#` rdata whose length disagrees with its hex.
    #[error("\\# rdata declares {declared} octets but has {actual}")]
    GenericLength {
        /// The declared length.
        declared: usize,
        /// The hex's length.
        actual: usize,
    },
    /// `\#` rdata that is not valid for its type.
    #[error("\\# rdata is not valid: {0}")]
    GenericRdata(WireError),
    /// A type this parser reads only in `\#` form.
    #[error("{0} rdata is only read in \\# form")]
    GenericOnly(RType),
    /// A file could not be read.
    #[error("cannot read {path}: {kind}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
    /// `$INCLUDE` nested too deeply (a loop, most likely).
    #[error("$INCLUDE nested more than {0} deep")]
    IncludeDepth(usize),
}
