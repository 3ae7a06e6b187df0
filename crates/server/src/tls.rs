//! DNS over TLS (RFC 7858, RFC 8310's profile) and the TLS of DNS over
//! HTTPS ([`crate::doh`]): the certificate and key
//! from PEM files ([`TlsKeys`], swapped whole on a reload while listeners
//! keep running), TLS 1.3 and 1.2 through rustls with its AWS-LC provider
//! installed explicitly, ALPN `dot`. The listener itself is
//! [`crate::listen`]'s: each connection checked against the ACL and given
//! a TCP slot before its handshake, the handshake bounded in time, then
//! served like a TCP connection (RFC 7766: pipelined, answers out of
//! order, idle timeout) with padded answers to padded queries.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long a client may take to finish its TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read or holds no PEM object of its kind.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// rustls refused the pair (a key that does not match the
    /// certificate, an unsupported key type).
    #[error("certificate {cert} with key {key}: {why}")]
    Pair {
        /// The certificate chain's file.
        cert: PathBuf,
        /// The key's file.
        key: PathBuf,
        /// rustls's reason.
        why: String,
    },
}

/// The certificate chain and key in service; a reload swaps them whole.
/// One rustls configuration per service: DNS over TLS (ALPN `dot`) and
/// DNS over HTTPS (ALPN `h2`, `http/1.1`).
pub struct TlsKeys {
    config: RwLock<[Arc<ServerConfig>; 2]>,
}

/// What a TLS listener serves: its ALPN protocols.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Service {
    /// DNS over TLS (RFC 7858): ALPN `dot`.
    Dot,
    /// DNS over HTTPS (RFC 8484): ALPN `h2`, then `http/1.1`.
    Https,
}

impl std::fmt::Debug for TlsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsKeys")
    }
}

impl TlsKeys {
    /// The chain in `cert` and the key in `key` (PEM).
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<TlsKeys>, TlsError> {
        Ok(Arc::new(TlsKeys { config: RwLock::new(server_config(cert, key)?) }))
    }

    /// Serve the chain in `cert` and the key in `key` from the next
    /// handshake on; on error the ones in service stay.
    pub fn replace(&self, cert: &Path, key: &Path) -> Result<(), TlsError> {
        let config = server_config(cert, key)?;
        *self.config.write().unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        Ok(())
    }

    pub(crate) fn acceptor(&self, service: Service) -> tokio_rustls::TlsAcceptor {
        let config = self.config.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        tokio_rustls::TlsAcceptor::from(Arc::clone(&config[service as usize]))
    }
}

/// rustls server configurations for the pair: one per [`Service`].
fn server_config(cert: &Path, key: &Path) -> Result<[Arc<ServerConfig>; 2], TlsError> {
    let file = |path: &Path, why: String| TlsError::File { path: path.to_owned(), why };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file(cert, "no CERTIFICATE in it".to_owned()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| file(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let pair = |why: String| TlsError::Pair { cert: cert.to_owned(), key: key.to_owned(), why };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| pair(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| pair(e.to_string()))?;
    let mut https = config.clone();
    config.alpn_protocols = vec![b"dot".to_vec()];
    https.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok([Arc::new(config), Arc::new(https)])
}
