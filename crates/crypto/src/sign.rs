//! Signing, for the lab: deterministic keys from a seed and RRSIG creation
//! for algorithms 8, 10 (`rsa`), 13 (`p256`), 14 (`p384`), 15
//! (`ed25519-dalek`) and 16 (`ed448-goldilocks`). RSASHA1 (5, 7) keys can be made too, for test zones
//! that exercise the deprecated-algorithm policy.

use candor_wire::{Algorithm, Dnskey, Name, Record, Rrsig};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::Digest;

use crate::error::RrsigError;
use crate::keytag::key_tag;
use crate::rrsig::signed_data;

/// Why a key could not be made or used for signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// No signer for this algorithm.
    #[error("cannot sign with algorithm {0}")]
    Algorithm(Algorithm),
    /// RSA key generation failed.
    #[error("RSA key generation failed for {bits} bits")]
    RsaKeygen {
        /// Requested size.
        bits: usize,
    },
    /// The RSA signing operation failed.
    #[error("RSA signing failed")]
    RsaSign,
    /// The RRset could not be prepared.
    #[error(transparent)]
    Rrset(#[from] RrsigError),
}

/// A private key that can sign DNSSEC data.
#[derive(Clone)]
pub enum SigningKey {
    /// RSA with the hash of `algorithm` (5, 7, 8 or 10).
    Rsa {
        /// DNSSEC algorithm.
        algorithm: Algorithm,
        /// The private key.
        key: Box<rsa::RsaPrivateKey>,
        /// The same key parsed once by aws-lc (about 4x faster to sign
        /// with than `rsa`; PKCS#1 v1.5 is deterministic, so the
        /// signatures are the same octets). Made on first use; `None`
        /// when aws-lc refuses the key (under 2,048 bits).
        fast: std::sync::Arc<std::sync::OnceLock<Option<aws_lc_rs::rsa::KeyPair>>>,
    },
    /// ECDSA P-256 (13).
    P256(p256::ecdsa::SigningKey),
    /// ECDSA P-384 (14).
    P384(p384::ecdsa::SigningKey),
    /// Ed25519 (15).
    Ed25519(ed25519_dalek::SigningKey),
    /// Ed448 (16).
    Ed448(Box<ed448_goldilocks::SigningKey>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.algorithm())
    }
}

/// 32 octets derived from a seed and a counter.
fn derive(seed: &[u8], label: &[u8], counter: u32) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(b"candor-lab-key\0");
    h.update(label);
    h.update(counter.to_be_bytes());
    h.update(seed);
    h.finalize().into()
}

impl SigningKey {
    /// A key derived deterministically from `seed` (RSA: 2048 bits).
    pub fn from_seed(algorithm: Algorithm, seed: &[u8]) -> Result<SigningKey, SignError> {
        match algorithm {
            Algorithm::RSASHA1 | Algorithm::RSASHA1_NSEC3_SHA1 | Algorithm::RSASHA256 | Algorithm::RSASHA512 => {
                SigningKey::rsa_from_seed(algorithm, 2048, seed)
            }
            Algorithm::ECDSAP256SHA256 => {
                // The first derived value that is a valid scalar (all but ~2^-32 are).
                let key = (0..u32::MAX)
                    .find_map(|i| p256::ecdsa::SigningKey::from_slice(&derive(seed, b"p256", i)).ok())
                    .ok_or(SignError::Algorithm(algorithm))?;
                Ok(SigningKey::P256(key))
            }
            Algorithm::ECDSAP384SHA384 => {
                let key = (0..u32::MAX)
                    .find_map(|i| {
                        let mut s = [0u8; 48];
                        s[..32].copy_from_slice(&derive(seed, b"p384a", i));
                        s[32..].copy_from_slice(&derive(seed, b"p384b", i)[..16]);
                        p384::ecdsa::SigningKey::from_slice(&s).ok()
                    })
                    .ok_or(SignError::Algorithm(algorithm))?;
                Ok(SigningKey::P384(key))
            }
            Algorithm::ED25519 => {
                Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&derive(seed, b"ed25519", 0))))
            }
            Algorithm::ED448 => {
                let mut secret = [0u8; 57];
                secret[..32].copy_from_slice(&derive(seed, b"ed448a", 0));
                secret[32..].copy_from_slice(&derive(seed, b"ed448b", 0)[..25]);
                SigningKey::ed448_from_secret(&secret)
            }
            other => Err(SignError::Algorithm(other)),
        }
    }

    /// An RSA key of `bits` bits derived deterministically from `seed`.
    pub fn rsa_from_seed(algorithm: Algorithm, bits: usize, seed: &[u8]) -> Result<SigningKey, SignError> {
        let mut rng = ChaCha20Rng::from_seed(derive(seed, b"rsa", bits as u32));
        let key = rsa::RsaPrivateKey::new(&mut rng, bits).map_err(|_| SignError::RsaKeygen { bits })?;
        Ok(SigningKey::Rsa { algorithm, key: Box::new(key), fast: Default::default() })
    }

    /// An Ed25519 key from its 32-octet secret (RFC 8032 seed).
    pub fn ed25519_from_secret(secret: &[u8; 32]) -> SigningKey {
        SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(secret))
    }

    /// An Ed448 key from its 57-octet secret (RFC 8032 seed).
    pub fn ed448_from_secret(secret: &[u8; 57]) -> Result<SigningKey, SignError> {
        let key =
            ed448_goldilocks::SigningKey::try_from(&secret[..]).map_err(|_| SignError::Algorithm(Algorithm::ED448))?;
        Ok(SigningKey::Ed448(Box::new(key)))
    }

    /// The DNSSEC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Rsa { algorithm, .. } => *algorithm,
            SigningKey::P256(_) => Algorithm::ECDSAP256SHA256,
            SigningKey::P384(_) => Algorithm::ECDSAP384SHA384,
            SigningKey::Ed25519(_) => Algorithm::ED25519,
            SigningKey::Ed448(_) => Algorithm::ED448,
        }
    }

    /// The public key in DNSKEY format (RFC 3110, RFC 6605, RFC 8080).
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            SigningKey::Rsa { key, .. } => {
                use rsa::traits::PublicKeyParts;
                let e = key.e().to_bytes_be();
                let n = key.n().to_bytes_be();
                let mut out = Vec::with_capacity(3 + e.len() + n.len());
                match u8::try_from(e.len()) {
                    Ok(len) if len > 0 => out.push(len),
                    _ => {
                        out.push(0);
                        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
                    }
                }
                out.extend_from_slice(&e);
                out.extend_from_slice(&n);
                out
            }
            SigningKey::P256(k) => {
                k.verifying_key().to_encoded_point(false).as_bytes().get(1..).unwrap_or(&[]).to_vec()
            }
            SigningKey::P384(k) => {
                k.verifying_key().to_encoded_point(false).as_bytes().get(1..).unwrap_or(&[]).to_vec()
            }
            SigningKey::Ed25519(k) => k.verifying_key().to_bytes().to_vec(),
            SigningKey::Ed448(k) => k.verifying_key().to_bytes().to_vec(),
        }
    }

    /// The DNSKEY with these flags (256: ZSK, 257: KSK/CSK).
    pub fn dnskey(&self, flags: u16) -> Dnskey {
        Dnskey { flags, protocol: 3, algorithm: self.algorithm(), public_key: self.public_key() }
    }

    /// Sign `data` (ECDSA per RFC 6979, so deterministic too).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            SigningKey::Rsa { algorithm, key, fast } => {
                use rsa::Pkcs1v15Sign;
                let padding: Option<&'static dyn aws_lc_rs::signature::RsaEncoding> = match *algorithm {
                    Algorithm::RSASHA256 => Some(&aws_lc_rs::signature::RSA_PKCS1_SHA256),
                    Algorithm::RSASHA512 => Some(&aws_lc_rs::signature::RSA_PKCS1_SHA512),
                    _ => None,
                };
                let pair = fast.get_or_init(|| {
                    use rsa::pkcs1::EncodeRsaPrivateKey;
                    let der = key.to_pkcs1_der().ok()?;
                    aws_lc_rs::rsa::KeyPair::from_der(der.as_bytes()).ok()
                });
                if let (Some(padding), Some(pair)) = (padding, pair) {
                    let mut sig = vec![0u8; pair.public_modulus_len()];
                    let rng = aws_lc_rs::rand::SystemRandom::new();
                    pair.sign(padding, &rng, data, &mut sig).map_err(|_| SignError::RsaSign)?;
                    return Ok(sig);
                }
                let r = match *algorithm {
                    Algorithm::RSASHA256 => key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &sha2::Sha256::digest(data)),
                    Algorithm::RSASHA512 => key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), &sha2::Sha512::digest(data)),
                    _ => key.sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &sha1::Sha1::digest(data)),
                };
                r.map_err(|_| SignError::RsaSign)
            }
            SigningKey::P256(k) => {
                use p256::ecdsa::signature::Signer;
                let sig: p256::ecdsa::Signature = k.sign(data);
                Ok(sig.to_bytes().to_vec())
            }
            SigningKey::P384(k) => {
                use p384::ecdsa::signature::Signer;
                let sig: p384::ecdsa::Signature = k.sign(data);
                Ok(sig.to_bytes().to_vec())
            }
            SigningKey::Ed25519(k) => {
                use ed25519_dalek::Signer;
                Ok(k.sign(data).to_bytes().to_vec())
            }
            SigningKey::Ed448(k) => Ok(k.sign_raw(data).to_bytes().to_vec()),
        }
    }

    /// Sign `rrset` as zone `signer` with this key (DNSKEY flags `flags`),
    /// valid from `inception` to `expiration` (wire times).
    pub fn sign_rrset(
        &self,
        rrset: &[Record],
        signer: &Name,
        flags: u16,
        inception: u32,
        expiration: u32,
    ) -> Result<Rrsig, SignError> {
        let first = rrset.first().ok_or(RrsigError::EmptyRrset)?;
        let mut rrsig = Rrsig {
            type_covered: first.rtype(),
            algorithm: self.algorithm(),
            labels: first.owner.rrsig_label_count() as u8,
            original_ttl: first.ttl,
            expiration,
            inception,
            key_tag: key_tag(&self.dnskey(flags)),
            signer: signer.clone(),
            signature: Vec::new(),
        };
        let data = signed_data(&rrsig, rrset)?;
        rrsig.signature = self.sign(&data)?;
        Ok(rrsig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RSA signs through aws-lc for speed; PKCS#1 v1.5 is deterministic,
    /// so its signatures must be the `rsa` crate's octet for octet.
    #[test]
    fn rsa_signatures_are_the_same_through_aws_lc() {
        use rsa::Pkcs1v15Sign;
        // aws-lc refuses keys under 2,048 bits: those stay with `rsa`.
        for (alg, bits) in [(Algorithm::RSASHA256, 2048), (Algorithm::RSASHA512, 2048), (Algorithm::RSASHA256, 1024)] {
            let k = SigningKey::rsa_from_seed(alg, bits, b"same").unwrap();
            let SigningKey::Rsa { key, fast, .. } = &k else { panic!() };
            let data = b"the signed data";
            let slow = if alg == Algorithm::RSASHA256 {
                key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &sha2::Sha256::digest(data))
            } else {
                key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), &sha2::Sha512::digest(data))
            };
            assert_eq!(k.sign(data).unwrap(), slow.unwrap(), "{alg}");
            assert_eq!(fast.get().is_some_and(Option::is_some), bits >= 2048, "{alg} {bits}: parsed by aws-lc");
        }
    }
}
