//! Which node a certificate belongs to.
//!
//! A node certificate carries the URI subject alternative name `urn:meridian:node:<id>`.
//! Client certificates made by [`crate::devca`] carry `urn:meridian:client:<name>` instead,
//! so a client certificate from the same CA can never pass as a node.

use rustls::pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

const NODE_PREFIX: &str = "urn:meridian:node:";
const CLIENT_PREFIX: &str = "urn:meridian:client:";

/// The URI naming node `id` in its certificate.
pub fn node_uri(id: u64) -> String {
    format!("{NODE_PREFIX}{id}")
}

/// The URI naming client `name` in its certificate.
pub fn client_uri(name: &str) -> String {
    format!("{CLIENT_PREFIX}{name}")
}

/// The node id a certificate names, if it is a node certificate. The caller must already have
/// verified the certificate against the deployment's CA (rustls does, during the handshake).
pub fn node_id(cert: &CertificateDer<'_>) -> Option<u64> {
    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).ok()?;
    let san = parsed.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|name| match name {
        GeneralName::URI(uri) => uri.strip_prefix(NODE_PREFIX)?.parse().ok(),
        _ => None,
    })
}
