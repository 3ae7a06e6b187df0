//! DS digests (RFC 4034 §5.1.4, RFC 4509, RFC 6605).

use candor_wire::{Dnskey, Ds, Name, RData, digest};
use ring::digest as rd;

use crate::error::Unsupported;
use crate::keytag::key_tag;

fn algorithm(digest_type: u8) -> Result<&'static rd::Algorithm, Unsupported> {
    match digest_type {
        digest::SHA1 => Ok(&rd::SHA1_FOR_LEGACY_USE_ONLY),
        digest::SHA256 => Ok(&rd::SHA256),
        digest::SHA384 => Ok(&rd::SHA384),
        other => Err(Unsupported::DigestType(other)),
    }
}

/// True when this crate can compute `digest_type`.
pub fn digest_supported(digest_type: u8) -> bool {
    algorithm(digest_type).is_ok()
}

/// The digest of `owner` (canonical form) and the DNSKEY rdata.
pub fn ds_digest(owner: &Name, key: &Dnskey, digest_type: u8) -> Result<Vec<u8>, Unsupported> {
    let mut ctx = rd::Context::new(algorithm(digest_type)?);
    ctx.update(owner.to_lowercase().as_wire());
    ctx.update(&key.flags.to_be_bytes());
    ctx.update(&[key.protocol, key.algorithm.0]);
    ctx.update(&key.public_key);
    Ok(ctx.finish().as_ref().to_vec())
}

/// The DS record for `key` at `owner`.
pub fn make_ds(owner: &Name, key: &Dnskey, digest_type: u8) -> Result<Ds, Unsupported> {
    Ok(Ds { key_tag: key_tag(key), algorithm: key.algorithm, digest_type, digest: ds_digest(owner, key, digest_type)? })
}

/// Does `ds` refer to `key` at `owner`: same key tag and algorithm, and
/// the same digest? An unsupported digest type is an error, so the caller
/// can tell "does not match" from "cannot tell".
pub fn ds_matches(ds: &Ds, owner: &Name, key: &Dnskey) -> Result<bool, Unsupported> {
    let digest = ds_digest(owner, key, ds.digest_type)?;
    Ok(ds.key_tag == key_tag(key) && ds.algorithm == key.algorithm && digest == ds.digest)
}

/// Convenience: the DS as record data.
pub fn make_ds_rdata(owner: &Name, key: &Dnskey, digest_type: u8) -> Result<RData, Unsupported> {
    make_ds(owner, key, digest_type).map(RData::Ds)
}
