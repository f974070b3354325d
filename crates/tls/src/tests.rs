use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::devca::{DevCa, Issued};
use crate::loaded::Loaded;
use crate::{identity, ClientAuth, PortKind, Tls, TlsError, TlsPaths};

fn write(dir: &Path, name: &str, issued: &Issued) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert, &issued.cert_pem).unwrap();
    std::fs::write(&key, &issued.key_pem).unwrap();
    (cert, key)
}

/// A CA and node 7's certificate written to `dir`.
fn node_files(dir: &Path, ca: &DevCa, id: u64) -> TlsPaths {
    let (ca_path, _) = write(dir, "ca", ca.ca());
    let node = ca
        .issue_node(id, &["127.0.0.1".into(), "localhost".into()], 30)
        .unwrap();
    let (cert, key) = write(dir, &format!("node-{id}"), &node);
    TlsPaths {
        cert,
        key,
        ca: ca_path,
    }
}

#[test]
fn a_node_certificate_loads_and_names_its_node() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 7);
    Tls::load(paths.clone(), ClientAuth::Optional).unwrap();
    let certs = crate::pem::certificates(&paths.cert).unwrap();
    assert_eq!(identity::node_id(&certs[0]), Some(7));
    let client = ca.issue_client("app", 30).unwrap();
    let (client_cert, _) = write(dir.path(), "client", &client);
    let certs = crate::pem::certificates(&client_cert).unwrap();
    assert_eq!(
        identity::node_id(&certs[0]),
        None,
        "a client certificate is not a node's"
    );
}

#[test]
fn load_errors_name_the_file_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 1);

    let missing = TlsPaths {
        cert: dir.path().join("nope.pem"),
        ..paths.clone()
    };
    let err = Tls::load(missing, ClientAuth::Optional).unwrap_err();
    assert!(matches!(err, TlsError::Read { .. }), "{err}");
    assert!(err.to_string().contains("nope.pem"), "{err}");

    let other = ca.issue_node(2, &["127.0.0.1".into()], 30).unwrap();
    let (_, other_key) = write(dir.path(), "other", &other);
    let mismatched = TlsPaths {
        key: other_key,
        ..paths.clone()
    };
    let err = Tls::load(mismatched, ClientAuth::Optional).unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");

    let stranger = DevCa::generate("other", 30).unwrap();
    let (stranger_ca, _) = write(dir.path(), "stranger-ca", stranger.ca());
    let wrong_ca = TlsPaths {
        ca: stranger_ca,
        ..paths.clone()
    };
    let err = Tls::load(wrong_ca, ClientAuth::Optional).unwrap_err();
    assert!(matches!(err, TlsError::NotIssuedByCa { .. }), "{err}");

    let not_pem = dir.path().join("empty.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let err = Tls::load(
        TlsPaths {
            cert: not_pem,
            ..paths
        },
        ClientAuth::Optional,
    )
    .unwrap_err();
    assert!(matches!(err, TlsError::Missing { .. }), "{err}");
}

#[test]
fn certificates_outside_their_validity_window_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 1);
    let later = SystemTime::now() + Duration::from_secs(31 * 24 * 3600);
    let err = Loaded::load(&paths, ClientAuth::Optional, later).unwrap_err();
    assert!(matches!(err, TlsError::Expired { .. }), "{err}");
    let earlier = SystemTime::now() - Duration::from_secs(2 * 3600);
    let err = Loaded::load(&paths, ClientAuth::Optional, earlier).unwrap_err();
    assert!(matches!(err, TlsError::NotYetValid { .. }), "{err}");
}

/// Accepts one connection on a `kind` port, answers "pong", and returns the node id of the
/// client's certificate (if any).
async fn serve_once(
    tls: Tls,
    kind: PortKind,
) -> (
    String,
    tokio::task::JoinHandle<Result<Option<u64>, std::io::Error>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut stream = tls.acceptor(kind).accept(tcp).await?;
        let peer = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| identity::node_id(&c[0]));
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).await?;
        stream.write_all(b"pong").await?;
        stream.flush().await?;
        Ok(peer)
    });
    (addr, task)
}

/// Sends "ping" over TLS and returns the server's certificate.
async fn ping(
    config: Arc<rustls::ClientConfig>,
    addr: &str,
) -> std::io::Result<rustls::pki_types::CertificateDer<'static>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    stream.write_all(b"ping").await?;
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"pong");
    let served = stream.get_ref().1.peer_certificates().unwrap()[0].clone();
    Ok(served.into_owned())
}

/// A client that trusts the CA and sends no certificate.
fn anonymous_client(ca: &Path) -> Arc<rustls::ClientConfig> {
    let roots = crate::pem::roots(ca).unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[tokio::test]
async fn nodes_prove_who_they_are_and_clients_need_not() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let server = Tls::load(node_files(dir.path(), &ca, 1), ClientAuth::Optional).unwrap();
    let peer_dir = tempfile::tempdir().unwrap();
    let (ca_path, _) = write(peer_dir.path(), "ca", ca.ca());
    let node = ca.issue_node(2, &["127.0.0.1".into()], 30).unwrap();
    let (cert, key) = write(peer_dir.path(), "n2", &node);
    let peer = Tls::load(
        TlsPaths {
            cert,
            key,
            ca: ca_path.clone(),
        },
        ClientAuth::Optional,
    )
    .unwrap();

    let (addr, task) = serve_once(server.clone(), PortKind::Grpc).await;
    ping(peer.client_config(), &addr).await.unwrap();
    assert_eq!(
        task.await.unwrap().unwrap(),
        Some(2),
        "the peer's node id is seen"
    );

    let (addr, task) = serve_once(server.clone(), PortKind::Grpc).await;
    ping(anonymous_client(&ca_path), &addr).await.unwrap();
    assert_eq!(
        task.await.unwrap().unwrap(),
        None,
        "a client without a certificate is let in"
    );
}

#[tokio::test]
async fn a_port_that_requires_client_certificates_refuses_a_client_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 1);
    let server = Tls::load(paths.clone(), ClientAuth::Required).unwrap();
    let (addr, task) = serve_once(server, PortKind::Resp).await;
    let refused = ping(anonymous_client(&paths.ca), &addr).await;
    assert!(refused.is_err(), "the handshake or first read must fail");
    assert!(task.await.unwrap().is_err());
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let server = Tls::load(node_files(dir.path(), &ca, 1), ClientAuth::Optional).unwrap();
    let stranger_dir = tempfile::tempdir().unwrap();
    let stranger = DevCa::generate("stranger", 30).unwrap();
    let stranger_paths = node_files(stranger_dir.path(), &stranger, 9);
    let (addr, _task) = serve_once(server, PortKind::Grpc).await;
    let err = ping(anonymous_client(&stranger_paths.ca), &addr)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[tokio::test]
async fn certificates_reload_from_disk_and_bad_files_keep_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 1);
    let tls = Tls::load(paths.clone(), ClientAuth::Optional).unwrap();
    assert!(!tls.reload_if_changed().unwrap(), "nothing changed yet");

    let renewed = ca.issue_node(1, &["127.0.0.1".into()], 60).unwrap();
    std::fs::write(&paths.cert, &renewed.cert_pem).unwrap();
    std::fs::write(&paths.key, &renewed.key_pem).unwrap();
    assert!(tls.reload_if_changed().unwrap());
    let served = tls.server_config(PortKind::Grpc);
    let (addr, task) = serve_once(tls.clone(), PortKind::Grpc).await;
    let seen = ping(anonymous_client(&paths.ca), &addr).await.unwrap();
    task.await.unwrap().unwrap();
    let renewed_der = crate::pem::certificates(&paths.cert).unwrap().remove(0);
    assert_eq!(
        seen, renewed_der,
        "new connections get the renewed certificate"
    );

    std::fs::write(&paths.key, "not a key").unwrap();
    assert!(tls.reload_if_changed().is_err());
    assert!(
        Arc::ptr_eq(&served, &tls.server_config(PortKind::Grpc)),
        "the old configuration stays"
    );
    assert!(
        !tls.reload_if_changed().unwrap(),
        "a failure is reported once per change"
    );
}

/// A port taking both: a TLS client and a plaintext client on the same port each get the
/// protocol they spoke; a client that sends nothing times out without blocking the others.
#[tokio::test]
async fn a_port_taking_both_tells_tls_from_plaintext_by_the_first_byte() {
    use crate::{accept, PortSecurity};
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::generate("test", 30).unwrap();
    let paths = node_files(dir.path(), &ca, 1);
    let tls = Tls::load(paths.clone(), ClientAuth::Optional).unwrap();
    let port = PortSecurity::Both(tls, PortKind::Grpc);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let mut kinds = Vec::new();
        for _ in 0..3 {
            let (tcp, _) = listener.accept().await.unwrap();
            match accept(tcp, &port, Duration::from_millis(300)).await {
                Ok(mut s) => {
                    kinds.push(if s.is_tls() { "tls" } else { "plain" });
                    let mut buf = [0u8; 4];
                    s.read_exact(&mut buf).await.unwrap();
                    s.write_all(b"pong").await.unwrap();
                    s.flush().await.unwrap();
                }
                Err(e) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
                    kinds.push("timeout");
                }
            }
        }
        kinds
    });
    let _silent = TcpStream::connect(&addr).await.unwrap();
    ping(anonymous_client(&paths.ca), &addr).await.unwrap();
    let mut plain = TcpStream::connect(&addr).await.unwrap();
    plain.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    plain.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    assert_eq!(server.await.unwrap(), ["timeout", "tls", "plain"]);
}

#[test]
fn cluster_secrets_are_checked_and_never_printed() {
    use crate::ClusterSecret;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "short\n").unwrap();
    let err = ClusterSecret::load(&file).unwrap_err();
    assert!(!err.to_string().contains("short"), "{err}");
    let secret = ClusterSecret::generate().unwrap();
    std::fs::write(&file, format!("{}\n", secret.expose())).unwrap();
    let loaded = ClusterSecret::load(&file).unwrap();
    assert_eq!(loaded, secret);
    assert!(loaded.matches(secret.expose().as_bytes()));
    assert!(!loaded.matches(b"0123456789abcdef0123456789abcdef"));
    assert!(!loaded.matches(&secret.expose().as_bytes()[1..]));
    assert!(!format!("{loaded:?}").contains(secret.expose()));
    assert_ne!(ClusterSecret::generate().unwrap(), secret);
}
