use std::time::Duration;

use prometheus::{IntGauge, Registry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

fn registry_with_gauge() -> Registry {
    let registry = Registry::new();
    let g = IntGauge::new("test_gauge", "a gauge").expect("valid gauge");
    g.set(7);
    registry.register(Box::new(g)).expect("registered once");
    registry
}

fn request(method: Method, uri: &str) -> Request<()> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .expect("valid request")
}

#[test]
fn get_metrics_answers_the_registry_as_prometheus_text() {
    let registry = registry_with_gauge();
    for uri in ["/metrics", "/metrics?name[]=x"] {
        let r = respond(&registry, &request(Method::GET, uri));
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(r.headers()[CONTENT_TYPE], "text/plain; version=0.0.4");
        assert!(r.body().contains("test_gauge 7\n"), "{}", r.body());
    }
}

#[test]
fn other_paths_are_404_and_other_methods_405() {
    let registry = registry_with_gauge();
    for uri in ["/", "/metrics/", "/health", "/metricsx"] {
        let r = respond(&registry, &request(Method::GET, uri));
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{uri}");
    }
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::HEAD] {
        let r = respond(&registry, &request(method.clone(), "/metrics"));
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.headers()[ALLOW], "GET");
    }
}

/// Sends one request and reads the response until the server closes the connection.
async fn http(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

#[tokio::test]
async fn serves_http_on_a_bound_listener_and_stops_with_an_idle_connection_open() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = MetricsServer::spawn(listener).expect("spawn");
    let addr = server.local_addr();
    let g = IntGauge::new("late_gauge", "registered late").expect("valid gauge");
    g.set(3);
    server
        .registry()
        .register(Box::new(g))
        .expect("registered once");

    let ok = http(
        addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4\r\n"),
        "{ok}"
    );
    assert!(ok.ends_with("late_gauge 3\n"), "{ok}");
    let missing = http(
        addr,
        "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );

    // A keep-alive client that went quiet must not hold the node's stop.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 12];
    idle.read_exact(&mut buf).await.expect("read status line");
    assert_eq!(&buf, b"HTTP/1.1 200");
    tokio::time::timeout(Duration::from_secs(1), server.stop())
        .await
        .expect("stop returns although a connection is open");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after stop"
    );
}
