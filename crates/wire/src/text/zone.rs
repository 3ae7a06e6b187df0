//! The master-file reader.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use super::encoding::{base32hex_decode, base64_decode, hex_decode};
use super::lexer::{Entry, Token, lex};
use super::{ZoneError, ZoneErrorKind};
use crate::bitmap::TypeBitmap;
use crate::name::{Name, parse_text};
use crate::rdata::{
    Caa, Dnskey, Ds, Hinfo, Mx, Naptr, Nsec, Nsec3, Nsec3Param, Px, RData, Rrsig, Soa, Srv, Sshfp, Tlsa,
};
use crate::record::Record;
use crate::serial::parse_timestamp;
use crate::types::{Algorithm, Class, RType};

/// How deep `$INCLUDE` may nest.
const MAX_INCLUDE_DEPTH: usize = 8;

/// An error inside one entry, before the file name is attached.
type Pe = (usize, usize, ZoneErrorKind);

/// Reads master files: `$ORIGIN`, `$TTL`, `$INCLUDE`, omitted owner, TTL
/// and class, `@`, relative names, and every type of [`RData`] (others in
/// RFC 3597 `\#` form).
///
/// A record with no TTL, no `$TTL` and no earlier TTL gets TTL 0, so files
/// of trust-anchor lines (`. IN DS 20326 8 2 E06D…`) load.
///
/// ```
/// use candor_wire::text::ZoneParser;
/// let zone = "$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\nwww A 192.0.2.1\n";
/// let records = ZoneParser::new(None).parse_str(zone).unwrap();
/// assert_eq!(records[1].to_string(), "www.example.\t300\tIN\tA\t192.0.2.1");
/// ```
#[derive(Debug, Clone)]
pub struct ZoneParser {
    origin: Option<Name>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<Name>,
    last_class: Class,
}

/// Parse zone text with an optional origin (no `$INCLUDE` base directory
/// but the current one).
pub fn parse_zone(src: &str, origin: Option<&Name>) -> Result<Vec<Record>, ZoneError> {
    ZoneParser::new(origin.cloned()).parse_str(src)
}

impl ZoneParser {
    /// A parser starting with `origin` (as if `$ORIGIN` had been given).
    pub fn new(origin: Option<Name>) -> ZoneParser {
        ZoneParser { origin, default_ttl: None, last_ttl: None, last_owner: None, last_class: Class::IN }
    }

    /// Parse text; `$INCLUDE` paths are relative to the current directory.
    pub fn parse_str(&mut self, src: &str) -> Result<Vec<Record>, ZoneError> {
        let mut out = Vec::new();
        self.parse_source(src, None, 0, &mut out)?;
        Ok(out)
    }

    /// Parse a file; `$INCLUDE` paths are relative to its directory.
    pub fn parse_file(&mut self, path: &Path) -> Result<Vec<Record>, ZoneError> {
        let mut out = Vec::new();
        self.parse_path(path, None, 0, &mut out)?;
        Ok(out)
    }

    /// Read and parse `path`; `from` is where an `$INCLUDE` named it, for
    /// the error when the file cannot be read.
    fn parse_path(
        &mut self,
        path: &Path,
        from: Option<(Option<&Path>, usize, usize)>,
        depth: usize,
        out: &mut Vec<Record>,
    ) -> Result<(), ZoneError> {
        let src = std::fs::read_to_string(path).map_err(|e| {
            let (file, line, column) = match from {
                Some((f, l, c)) => (f.map(Path::to_path_buf), l, c),
                None => (Some(path.to_path_buf()), 0, 0),
            };
            ZoneError { file, line, column, kind: ZoneErrorKind::Io { path: path.to_path_buf(), kind: e.kind() } }
        })?;
        self.parse_source(&src, Some(path), depth, out)
    }

    fn parse_source(
        &mut self,
        src: &str,
        file: Option<&Path>,
        depth: usize,
        out: &mut Vec<Record>,
    ) -> Result<(), ZoneError> {
        let at = |(line, column, kind): Pe| ZoneError { file: file.map(Path::to_path_buf), line, column, kind };
        let entries = lex(src).map_err(|e| at((e.line, e.col, e.kind)))?;
        for entry in &entries {
            let Some(first) = entry.tokens.first() else {
                continue;
            };
            if !entry.blank_start && !first.quoted && first.text.starts_with('$') {
                self.directive(entry, file, depth, out).map_err(|e| match e {
                    Directive::Here(pe) => at(pe),
                    Directive::Nested(ze) => ze,
                })?;
                continue;
            }
            let record = self.record(entry).map_err(at)?;
            out.push(record);
        }
        Ok(())
    }

    fn directive(
        &mut self,
        entry: &Entry,
        file: Option<&Path>,
        depth: usize,
        out: &mut Vec<Record>,
    ) -> Result<(), Directive> {
        let mut f = Fields::new(&entry.tokens, entry.line);
        let d = f.next("directive").map_err(Directive::Here)?;
        match d.text.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let t = f.next("$ORIGIN name").map_err(Directive::Here)?;
                self.origin = Some(name_token(t, self.origin.as_ref()).map_err(Directive::Here)?);
            }
            "$TTL" => {
                let t = f.next("$TTL value").map_err(Directive::Here)?;
                self.default_ttl = Some(ttl_token(t).map_err(Directive::Here)?);
            }
            "$INCLUDE" => {
                let t = f.next("$INCLUDE file").map_err(Directive::Here)?;
                let origin = match f.peek() {
                    Some(_) => Some(f.name(self.origin.as_ref()).map_err(Directive::Here)?),
                    None => None,
                };
                f.end().map_err(Directive::Here)?;
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(Directive::Here((t.line, t.col, ZoneErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH))));
                }
                let rel = PathBuf::from(&t.text);
                let path = match file.and_then(Path::parent) {
                    Some(dir) if rel.is_relative() => dir.join(rel),
                    _ => rel,
                };
                // RFC 1035 §5.1: the included file may change the origin; it is
                // restored afterwards.
                let saved = self.origin.clone();
                if origin.is_some() {
                    self.origin = origin;
                }
                self.parse_path(&path, Some((file, t.line, t.col)), depth + 1, out).map_err(Directive::Nested)?;
                self.origin = saved;
                return Ok(());
            }
            _ => {
                return Err(Directive::Here((d.line, d.col, ZoneErrorKind::UnknownDirective(d.text.clone()))));
            }
        }
        f.end().map_err(Directive::Here)
    }

    fn record(&mut self, entry: &Entry) -> Result<Record, Pe> {
        let mut f = Fields::new(&entry.tokens, entry.line);
        let owner = if entry.blank_start {
            let t = f.peek().ok_or((entry.line, 1, ZoneErrorKind::NoOwner))?;
            self.last_owner.clone().ok_or((t.line, t.col, ZoneErrorKind::NoOwner))?
        } else {
            f.name(self.origin.as_ref())?
        };
        let mut ttl = None;
        let mut class = None;
        let rtype = loop {
            let t = f.next("type")?;
            if ttl.is_none() && t.text.starts_with(|c: char| c.is_ascii_digit()) {
                ttl = Some(ttl_token(t)?);
                continue;
            }
            if class.is_none()
                && let Some(c) = Class::from_text(&t.text)
            {
                class = Some(c);
                continue;
            }
            break RType::from_text(&t.text)
                .ok_or_else(|| (t.line, t.col, ZoneErrorKind::UnknownType(t.text.clone())))?;
        };
        let ttl = match ttl {
            Some(t) => t,
            None => self.default_ttl.or(self.last_ttl).unwrap_or(0),
        };
        let class = class.unwrap_or(self.last_class);
        let data = parse_rdata(rtype, &mut f, self.origin.as_ref())?;
        f.end()?;
        self.last_owner = Some(owner.clone());
        self.last_ttl = Some(ttl);
        self.last_class = class;
        Ok(Record { owner, class, ttl, data })
    }
}

enum Directive {
    Here(Pe),
    Nested(ZoneError),
}

/// A cursor over an entry's tokens.
struct Fields<'a> {
    toks: &'a [Token],
    i: usize,
    line: usize,
}

impl<'a> Fields<'a> {
    fn new(toks: &'a [Token], line: usize) -> Fields<'a> {
        Fields { toks, i: 0, line }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }

    /// Where a missing field would have been: just after the last token.
    fn end_pos(&self) -> (usize, usize) {
        match self.toks.last() {
            Some(t) => (t.line, t.col + t.text.len() + if t.quoted { 2 } else { 0 }),
            None => (self.line, 1),
        }
    }

    fn next(&mut self, what: &'static str) -> Result<&'a Token, Pe> {
        let t = self.toks.get(self.i).ok_or_else(|| {
            let (l, c) = self.end_pos();
            (l, c, ZoneErrorKind::Missing { what })
        })?;
        self.i += 1;
        Ok(t)
    }

    /// Everything left, as one string (base64 and hex may be split by blanks).
    fn rest_joined(&mut self) -> (String, usize, usize) {
        let (mut line, mut col) = self.end_pos();
        if let Some(t) = self.peek() {
            (line, col) = (t.line, t.col);
        }
        let s: String = self.toks.get(self.i..).unwrap_or(&[]).iter().map(|t| t.text.as_str()).collect();
        self.i = self.toks.len();
        (s, line, col)
    }

    fn end(&self) -> Result<(), Pe> {
        match self.peek() {
            Some(t) => Err((t.line, t.col, ZoneErrorKind::TrailingTokens { found: t.text.clone() })),
            None => Ok(()),
        }
    }

    fn num<T: TryFrom<u64>>(&mut self, what: &'static str) -> Result<T, Pe> {
        let t = self.next(what)?;
        parse_num(&t.text).and_then(|v| T::try_from(v).ok()).ok_or_else(|| expected(t, what))
    }

    fn ttl(&mut self, what: &'static str) -> Result<u32, Pe> {
        let t = self.next(what)?;
        parse_ttl(&t.text).ok_or_else(|| expected(t, what))
    }

    fn name(&mut self, origin: Option<&Name>) -> Result<Name, Pe> {
        let t = self.next("domain name")?;
        name_token(t, origin)
    }

    fn algorithm(&mut self) -> Result<Algorithm, Pe> {
        let t = self.next("algorithm")?;
        if let Some(v) = parse_num(&t.text) {
            return u8::try_from(v).map(Algorithm).map_err(|_| expected(t, "algorithm"));
        }
        Algorithm::from_text(&t.text).ok_or_else(|| expected(t, "algorithm"))
    }

    fn char_string(&mut self, what: &'static str) -> Result<Vec<u8>, Pe> {
        let t = self.next(what)?;
        let s = unescape(&t.text).ok_or_else(|| expected(t, what))?;
        if s.len() > 255 {
            return Err((t.line, t.col, ZoneErrorKind::StringTooLong { len: s.len() }));
        }
        Ok(s)
    }

    fn hex_rest(&mut self, what: &'static str) -> Result<Vec<u8>, Pe> {
        let (s, line, col) = self.rest_joined();
        hex_decode(&s).ok_or((line, col, ZoneErrorKind::Expected { what, found: s }))
    }

    fn base64_rest(&mut self, what: &'static str) -> Result<Vec<u8>, Pe> {
        let (s, line, col) = self.rest_joined();
        base64_decode(&s).ok_or((line, col, ZoneErrorKind::Expected { what, found: s }))
    }

    fn salt(&mut self) -> Result<Vec<u8>, Pe> {
        let t = self.next("salt")?;
        if t.text == "-" {
            return Ok(Vec::new());
        }
        hex_decode(&t.text).filter(|s| !s.is_empty() && s.len() <= 255).ok_or_else(|| expected(t, "salt (hex or -)"))
    }

    fn bitmap(&mut self) -> Result<TypeBitmap, Pe> {
        let mut types = Vec::new();
        while let Some(t) = self.peek() {
            types.push(
                RType::from_text(&t.text).ok_or_else(|| (t.line, t.col, ZoneErrorKind::UnknownType(t.text.clone())))?,
            );
            self.i += 1;
        }
        Ok(TypeBitmap::new(types))
    }

    fn time(&mut self, what: &'static str) -> Result<u32, Pe> {
        let t = self.next(what)?;
        if t.text.len() == 14 {
            // RFC 4034 §3.2: the wire value is the time modulo 2^32.
            return parse_timestamp(&t.text).map(|s| s.rem_euclid(1 << 32) as u32).ok_or_else(|| expected(t, what));
        }
        parse_num(&t.text).and_then(|v| u32::try_from(v).ok()).ok_or_else(|| expected(t, what))
    }
}

fn expected(t: &Token, what: &'static str) -> Pe {
    (t.line, t.col, ZoneErrorKind::Expected { what, found: t.text.clone() })
}

fn name_token(t: &Token, origin: Option<&Name>) -> Result<Name, Pe> {
    let err = |e| (t.line, t.col, ZoneErrorKind::BadName(e));
    if t.text == "@" {
        return origin.cloned().ok_or_else(|| err(crate::NameError::Relative { text: "@".into() }));
    }
    parse_text(&t.text, origin, false).map_err(err)
}

fn ttl_token(t: &Token) -> Result<u32, Pe> {
    parse_ttl(&t.text).ok_or_else(|| expected(t, "TTL"))
}

fn parse_num(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A TTL: seconds, or BIND's units (`1w2d3h4m5s`).
pub(crate) fn parse_ttl(s: &str) -> Option<u32> {
    if let Some(v) = parse_num(s) {
        return u32::try_from(v).ok();
    }
    let mut total = 0u64;
    let mut cur: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            cur = Some(cur.unwrap_or(0).checked_mul(10)?.checked_add(u64::from(d))?);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(cur.take()?.checked_mul(mult)?)?;
    }
    if cur.is_some() {
        return None;
    }
    u32::try_from(total).ok()
}

/// Resolve `\X` and `\DDD` escapes in a character string.
fn unescape(s: &str) -> Option<Vec<u8>> {
    unescape_keep_commas(s).map(|v| v.into_iter().map(|(b, _)| b).collect())
}

fn parse_rdata(rtype: RType, f: &mut Fields<'_>, origin: Option<&Name>) -> Result<RData, Pe> {
    if f.peek().is_some_and(|t| !t.quoted && t.text == "\\#") {
        f.i += 1;
        let len: usize = f.num("\\# length")?;
        let (hex, line, col) = f.rest_joined();
        let data =
            hex_decode(&hex).ok_or_else(|| (line, col, ZoneErrorKind::Expected { what: "hex", found: hex.clone() }))?;
        if data.len() != len {
            return Err((line, col, ZoneErrorKind::GenericLength { declared: len, actual: data.len() }));
        }
        return RData::from_wire(rtype, &data).map_err(|e| (line, col, ZoneErrorKind::GenericRdata(e)));
    }
    Ok(match rtype {
        RType::A => {
            let t = f.next("IPv4 address")?;
            RData::A(t.text.parse::<Ipv4Addr>().map_err(|_| expected(t, "IPv4 address"))?)
        }
        RType::AAAA => {
            let t = f.next("IPv6 address")?;
            RData::Aaaa(t.text.parse::<Ipv6Addr>().map_err(|_| expected(t, "IPv6 address"))?)
        }
        RType::NS => RData::Ns(f.name(origin)?),
        RType::CNAME => RData::Cname(f.name(origin)?),
        RType::DNAME => RData::Dname(f.name(origin)?),
        RType::PTR => RData::Ptr(f.name(origin)?),
        RType::SOA => RData::Soa(Soa {
            mname: f.name(origin)?,
            rname: f.name(origin)?,
            serial: f.num("SOA serial")?,
            refresh: f.ttl("SOA refresh")?,
            retry: f.ttl("SOA retry")?,
            expire: f.ttl("SOA expire")?,
            minimum: f.ttl("SOA minimum")?,
        }),
        RType::MX => RData::Mx(Mx { preference: f.num("MX preference")?, exchange: f.name(origin)? }),
        RType::TXT => {
            let mut strings = vec![f.char_string("TXT string")?];
            while f.peek().is_some() {
                strings.push(f.char_string("TXT string")?);
            }
            RData::Txt(strings)
        }
        RType::SRV => RData::Srv(Srv {
            priority: f.num("SRV priority")?,
            weight: f.num("SRV weight")?,
            port: f.num("SRV port")?,
            target: f.name(origin)?,
        }),
        RType::HINFO => RData::Hinfo(Hinfo { cpu: f.char_string("HINFO cpu")?, os: f.char_string("HINFO os")? }),
        RType::PX => {
            RData::Px(Px { preference: f.num("PX preference")?, map822: f.name(origin)?, mapx400: f.name(origin)? })
        }
        RType::NAPTR => RData::Naptr(Naptr {
            order: f.num("NAPTR order")?,
            preference: f.num("NAPTR preference")?,
            flags: f.char_string("NAPTR flags")?,
            services: f.char_string("NAPTR services")?,
            regexp: f.char_string("NAPTR regexp")?,
            replacement: f.name(origin)?,
        }),
        RType::DS | RType::CDS => {
            let ds = Ds {
                key_tag: f.num("key tag")?,
                algorithm: f.algorithm()?,
                digest_type: f.num("digest type")?,
                digest: f.hex_rest("digest (hex)")?,
            };
            if rtype == RType::DS { RData::Ds(ds) } else { RData::Cds(ds) }
        }
        RType::DNSKEY | RType::CDNSKEY => {
            let key = Dnskey {
                flags: f.num("flags")?,
                protocol: f.num("protocol")?,
                algorithm: f.algorithm()?,
                public_key: f.base64_rest("public key (base64)")?,
            };
            if rtype == RType::DNSKEY { RData::Dnskey(key) } else { RData::Cdnskey(key) }
        }
        RType::RRSIG => {
            let t = f.next("type covered")?;
            let type_covered =
                RType::from_text(&t.text).ok_or_else(|| (t.line, t.col, ZoneErrorKind::UnknownType(t.text.clone())))?;
            RData::Rrsig(Rrsig {
                type_covered,
                algorithm: f.algorithm()?,
                labels: f.num("labels")?,
                original_ttl: f.ttl("original TTL")?,
                expiration: f.time("expiration")?,
                inception: f.time("inception")?,
                key_tag: f.num("key tag")?,
                signer: f.name(origin)?,
                signature: f.base64_rest("signature (base64)")?,
            })
        }
        RType::NSEC => RData::Nsec(Nsec { next: f.name(origin)?, types: f.bitmap()? }),
        RType::NSEC3 => {
            let hash_algorithm = f.num("hash algorithm")?;
            let flags = f.num("flags")?;
            let iterations = f.num("iterations")?;
            let salt = f.salt()?;
            let t = f.next("next hashed owner (base32hex)")?;
            let next_hashed = base32hex_decode(&t.text)
                .filter(|h| !h.is_empty() && h.len() <= 255)
                .ok_or_else(|| expected(t, "next hashed owner (base32hex)"))?;
            RData::Nsec3(Nsec3 { hash_algorithm, flags, iterations, salt, next_hashed, types: f.bitmap()? })
        }
        RType::NSEC3PARAM => RData::Nsec3param(Nsec3Param {
            hash_algorithm: f.num("hash algorithm")?,
            flags: f.num("flags")?,
            iterations: f.num("iterations")?,
            salt: f.salt()?,
        }),
        RType::TLSA => RData::Tlsa(Tlsa {
            usage: f.num("usage")?,
            selector: f.num("selector")?,
            matching_type: f.num("matching type")?,
            data: f.hex_rest("association data (hex)")?,
        }),
        RType::SSHFP => RData::Sshfp(Sshfp {
            algorithm: f.num("algorithm")?,
            fp_type: f.num("fingerprint type")?,
            fingerprint: f.hex_rest("fingerprint (hex)")?,
        }),
        RType::CAA => {
            let flags = f.num("flags")?;
            let t = f.next("tag")?;
            if t.text.is_empty() || t.text.len() > 255 || !t.text.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(expected(t, "tag (letters and digits)"));
            }
            let v = f.next("value")?;
            let value = unescape(&v.text).ok_or_else(|| expected(v, "value"))?;
            RData::Caa(Caa { flags, tag: t.text.as_bytes().to_vec(), value })
        }
        RType::SVCB => RData::Svcb(svcb(f, origin)?),
        RType::HTTPS => RData::Https(svcb(f, origin)?),
        other => {
            let (line, col) = f.peek().map(|t| (t.line, t.col)).unwrap_or_else(|| f.end_pos());
            return Err((line, col, ZoneErrorKind::GenericOnly(other)));
        }
    })
}

/// SVCB/HTTPS presentation form (RFC 9460 §2.1) to wire octets; the rdata
/// itself stays opaque.
fn svcb(f: &mut Fields<'_>, origin: Option<&Name>) -> Result<Vec<u8>, Pe> {
    let mut out = Vec::new();
    let priority: u16 = f.num("SvcPriority")?;
    out.extend_from_slice(&priority.to_be_bytes());
    out.extend_from_slice(f.name(origin)?.as_wire());
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    while let Some(t) = f.peek() {
        f.i += 1;
        let (key, mut value) = match t.text.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (t.text.as_str(), None),
        };
        // `alpn="h2,h3"`: the lexer splits the quoted value off.
        if value.as_deref() == Some("")
            && let Some(q) = f.peek().filter(|q| q.quoted)
        {
            f.i += 1;
            value = Some(q.text.clone());
        }
        let bad = |what| expected(t, what);
        let key_num = svc_key(key).ok_or_else(|| bad("SvcParamKey"))?;
        let items = |v: &Option<String>| -> Result<Vec<Vec<u8>>, Pe> {
            let v = v.as_deref().ok_or_else(|| bad("SvcParamValue"))?;
            let mut parts = vec![Vec::new()];
            let raw = unescape_keep_commas(v).ok_or_else(|| bad("SvcParamValue"))?;
            for (b, escaped) in raw {
                match (b, escaped) {
                    (b',', false) => parts.push(Vec::new()),
                    _ => parts.last_mut().map(|p| p.push(b)).unwrap_or(()),
                }
            }
            Ok(parts)
        };
        let text_of = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
        let mut data = Vec::new();
        match key_num {
            0 => {
                for k in items(&value)? {
                    let n = svc_key(&text_of(&k)).ok_or_else(|| bad("mandatory key"))?;
                    data.extend_from_slice(&n.to_be_bytes());
                }
            }
            1 => {
                for id in items(&value)? {
                    let len = u8::try_from(id.len()).ok().filter(|&l| l > 0).ok_or_else(|| bad("alpn id"))?;
                    data.push(len);
                    data.extend_from_slice(&id);
                }
            }
            2 => {
                if value.is_some() {
                    return Err(bad("no-default-alpn without a value"));
                }
            }
            3 => {
                let v = value.as_deref().and_then(|v| v.parse::<u16>().ok()).ok_or_else(|| bad("port"))?;
                data.extend_from_slice(&v.to_be_bytes());
            }
            4 | 6 => {
                for a in items(&value)? {
                    let a = text_of(&a);
                    if key_num == 4 {
                        data.extend_from_slice(&a.parse::<Ipv4Addr>().map_err(|_| bad("IPv4 address"))?.octets());
                    } else {
                        data.extend_from_slice(&a.parse::<Ipv6Addr>().map_err(|_| bad("IPv6 address"))?.octets());
                    }
                }
            }
            5 => data = value.as_deref().and_then(base64_decode).ok_or_else(|| bad("ech (base64)"))?,
            _ => {
                if let Some(v) = &value {
                    data = unescape(v).ok_or_else(|| bad("SvcParamValue"))?;
                }
            }
        }
        if params.iter().any(|(k, _)| *k == key_num) {
            return Err(bad("each SvcParamKey once"));
        }
        params.push((key_num, data));
    }
    params.sort_by_key(|(k, _)| *k);
    for (k, v) in params {
        out.extend_from_slice(&k.to_be_bytes());
        let len = u16::try_from(v.len()).map_err(|_| (f.line, 1, ZoneErrorKind::StringTooLong { len: v.len() }))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&v);
    }
    Ok(out)
}

fn svc_key(k: &str) -> Option<u16> {
    Some(match k.to_ascii_lowercase().as_str() {
        "mandatory" => 0,
        "alpn" => 1,
        "no-default-alpn" => 2,
        "port" => 3,
        "ipv4hint" => 4,
        "ech" => 5,
        "ipv6hint" => 6,
        "dohpath" => 7,
        "ohttp" => 8,
        other => other
            .strip_prefix("key")
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()?,
    })
}

/// Unescape, remembering which octets came from an escape (RFC 9460
/// value lists split on unescaped commas only).
fn unescape_keep_commas(s: &str) -> Option<Vec<(u8, bool)>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push((c, false));
            i += 1;
            continue;
        }
        let n = *b.get(i + 1)?;
        if n.is_ascii_digit() {
            let d = b.get(i + 1..i + 4)?;
            if !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            out.push((u8::try_from(d.iter().fold(0u32, |a, x| a * 10 + u32::from(x - b'0'))).ok()?, true));
            i += 4;
        } else {
            out.push((n, true));
            i += 2;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("3600"), Some(3600));
        assert_eq!(parse_ttl("1h"), Some(3600));
        assert_eq!(parse_ttl("1w2d3h4m5s"), Some(604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5));
        assert_eq!(parse_ttl("1H30M"), Some(5400));
        assert_eq!(parse_ttl("h"), None);
        assert_eq!(parse_ttl("5x"), None);
        assert_eq!(parse_ttl("1h5"), None);
        assert_eq!(parse_ttl("4294967296"), None);
    }

    #[test]
    fn unescape_strings() {
        assert_eq!(unescape("a\\\"b\\092\\032").unwrap(), b"a\"b\\ ");
        assert_eq!(unescape("\\25"), None);
        assert_eq!(unescape("\\300"), None);
    }
}
