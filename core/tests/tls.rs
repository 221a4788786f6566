//! TLS verification is always on: an `https` server whose certificate no trusted root signed (here a self-signed
//! one on 127.0.0.1, `tests/fixtures/self_signed_*.pem`, made for this test only) is refused during the handshake,
//! before any request (credentials included) is sent, and there is no setting that turns the check off. Plain
//! `http` is accepted for loopback hosts only (the sandbox), never for another host.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autoshares::auth::PasswordLogin;
use autoshares::{Client, Config, ErrorKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TLS server on 127.0.0.1 with the self-signed certificate; counts the bytes of HTTP it could decrypt.
async fn self_signed_server() -> (String, Arc<AtomicU64>, Arc<AtomicU64>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{dir}/self_signed_cert.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/self_signed_key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let (handshakes, request_bytes) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (h, r) = (handshakes.clone(), request_bytes.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, h, r) = (acceptor.clone(), h.clone(), r.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused the certificate
                };
                h.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                if let Ok(n) = tls.read(&mut buf).await {
                    r.fetch_add(n as u64, Ordering::SeqCst);
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                    .await;
            });
        }
    });
    (url, handshakes, request_bytes)
}

#[tokio::test]
async fn a_certificate_no_trusted_root_signed_is_refused_before_anything_is_sent() {
    let (url, handshakes, request_bytes) = self_signed_server().await;
    let client = Client::builder()
        .config(
            Config::builder()
                .base_url(&url)
                .app_key("app-key-for-the-tls-test")
                .ignore_env()
                .timeout(Duration::from_secs(5))
                .max_retries(0)
                .build()
                .unwrap(),
        )
        .login(PasswordLogin::new("tls-user", "tls-password-never-sent"))
        .build()
        .unwrap();
    let err = client.users().me().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.to_lowercase().contains("certificate"),
        "the error says why: {text}"
    );
    assert!(!text.contains("tls-password-never-sent"), "{text}");
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        0,
        "no TLS session was established"
    );
    assert_eq!(
        request_bytes.load(Ordering::SeqCst),
        0,
        "no request reached the server"
    );
}

#[test]
fn plain_http_is_for_loopback_hosts_only() {
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        Config::builder()
            .base_url(url)
            .app_key("k")
            .ignore_env()
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    for url in [
        "http://api.example.com",
        "http://10.0.0.5:8080",
        "http://127.0.0.1.example.com",
    ] {
        let err = Config::builder()
            .base_url(url)
            .app_key("k")
            .ignore_env()
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
    }
}
