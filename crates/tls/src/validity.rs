//! Validity windows, checked at load time so an expired file is named at start-up instead of
//! failing every handshake later.

use std::path::Path;
use std::time::SystemTime;

use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::time::ASN1Time;

use crate::TlsError;

/// The parsed certificate, or an error naming `path`.
pub(crate) fn parse<'a>(
    path: &Path,
    cert: &'a CertificateDer<'_>,
) -> Result<X509Certificate<'a>, TlsError> {
    X509Certificate::from_der(cert.as_ref())
        .map(|(_, c)| c)
        .map_err(|e| TlsError::Certificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Fails when `now` is outside `cert`'s validity window.
pub(crate) fn check(
    path: &Path,
    cert: &CertificateDer<'_>,
    now: SystemTime,
) -> Result<(), TlsError> {
    let parsed = parse(path, cert)?;
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = ASN1Time::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX)).map_err(|e| {
        TlsError::Certificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    let validity = parsed.validity();
    if now > validity.not_after {
        return Err(TlsError::Expired {
            path: path.to_path_buf(),
            not_after: validity.not_after.to_string(),
        });
    }
    if now < validity.not_before {
        return Err(TlsError::NotYetValid {
            path: path.to_path_buf(),
            not_before: validity.not_before.to_string(),
        });
    }
    Ok(())
}
