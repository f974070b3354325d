//! A development certificate authority: creates a CA and certificates for nodes and clients
//! (`meridian certs`). Keys are ECDSA P-256. Not a production PKI: the CA key is written to
//! disk next to the certificates.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::identity::{client_uri, node_uri};
use crate::TlsError;

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// A CA able to issue certificates.
pub struct DevCa {
    issuer: Issuer<'static, KeyPair>,
    ca: Issued,
}

impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCa").field("ca", &self.ca).finish()
    }
}

impl DevCa {
    /// A new self-signed CA named `name`, valid for `days`.
    pub fn generate(name: &str, days: u32) -> Result<DevCa, TlsError> {
        let key = KeyPair::generate().map_err(TlsError::Generate)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = named(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        window(&mut params, days);
        let cert = params.self_signed(&key).map_err(TlsError::Generate)?;
        let ca = Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        Ok(DevCa {
            issuer: Issuer::new(params, key),
            ca,
        })
    }

    /// The CA of an earlier run, from its certificate and key (PEM).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<DevCa, TlsError> {
        let key = KeyPair::from_pem(key_pem).map_err(TlsError::Generate)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key).map_err(TlsError::Generate)?;
        let ca = Issued {
            cert_pem: cert_pem.to_string(),
            key_pem: key_pem.to_string(),
        };
        Ok(DevCa { issuer, ca })
    }

    /// The CA's own certificate and key.
    pub fn ca(&self) -> &Issued {
        &self.ca
    }

    /// A certificate for node `id`, valid for the host names and addresses in `hosts` (the
    /// names peers and clients dial), usable to serve and to call peers.
    pub fn issue_node(&self, id: u64, hosts: &[String], days: u32) -> Result<Issued, TlsError> {
        let mut sans = hosts_sans(hosts)?;
        sans.push(uri(&node_uri(id))?);
        self.issue(&format!("meridian node {id}"), sans, days)
    }

    /// A client certificate named `name` (for clients of a port that requires one). It names
    /// a client, so internal services refuse it.
    pub fn issue_client(&self, name: &str, days: u32) -> Result<Issued, TlsError> {
        self.issue(
            &format!("meridian client {name}"),
            vec![uri(&client_uri(name))?],
            days,
        )
    }

    fn issue(&self, name: &str, sans: Vec<SanType>, days: u32) -> Result<Issued, TlsError> {
        let key = KeyPair::generate().map_err(TlsError::Generate)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = named(name);
        params.subject_alt_names = sans;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        window(&mut params, days);
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(TlsError::Generate)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn named(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Meridian development CA");
    dn.push(DnType::CommonName, name);
    dn
}

/// Valid from an hour ago (clock skew between machines) for `days`.
fn window(params: &mut CertificateParams, days: u32) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(days));
}

fn hosts_sans(hosts: &[String]) -> Result<Vec<SanType>, TlsError> {
    let mut sans = Vec::new();
    for host in hosts {
        let san = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(host.as_str().try_into().map_err(TlsError::Generate)?),
        };
        if !sans.contains(&san) {
            sans.push(san);
        }
    }
    Ok(sans)
}

fn uri(text: &str) -> Result<SanType, TlsError> {
    Ok(SanType::URI(text.try_into().map_err(TlsError::Generate)?))
}
