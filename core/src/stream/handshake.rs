//! The WebSocket opening handshake (RFC 6455 section 4), written here rather than left to tungstenite.
//!
//! The vendor's protocol puts the streamer session id, a credential, in the query of the upgrade request
//! (`CreateSession.txt?User=..&Password=<session id>`). tungstenite logs every client handshake request at
//! TRACE, query included, so any application that turns on TRACE logging would record the credential. This
//! module sends the request itself (never logging it), checks the `101` answer and `Sec-WebSocket-Accept`,
//! and hands the socket, with any bytes read past the headers, to tungstenite for the framing.

use std::sync::{Arc, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

/// The most header bytes accepted in the server's answer.
const MAX_RESPONSE_HEADERS: usize = 16 * 1024;

/// The TLS configuration of `wss` streamers: the platform's root certificates, built once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err("no trusted root certificates were found on this machine".into());
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

/// Opens `url` (`ws://` or `wss://`, checked by the caller) and performs the upgrade with `user_agent`.
pub(crate) async fn connect(
    url: &Url,
    user_agent: &str,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, String> {
    let host = url
        .host_str()
        .ok_or_else(|| "the streamer URL has no host".to_string())?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the streamer URL has no port".to_string())?;
    let tcp = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|e| format!("connect to {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut stream = if url.scheme() == "wss" {
        let connector = tokio_rustls::TlsConnector::from(tls_config()?);
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| format!("`{host}` is not a TLS server name: {e}"))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        MaybeTlsStream::Rustls(tls)
    } else {
        MaybeTlsStream::Plain(tcp)
    };

    let key = generate_key();
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: {user_agent}\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send the upgrade request: {e}"))?;

    let mut buf = Vec::with_capacity(1024);
    let header_end = loop {
        let mut chunk = [0u8; 1024];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read the upgrade answer: {e}"))?;
        if n == 0 {
            return Err("the streamer closed the connection during the upgrade".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_RESPONSE_HEADERS {
            return Err("the upgrade answer's headers are too long".into());
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "101" {
        return Err(format!(
            "the streamer refused the upgrade: {}",
            status_line.trim()
        ));
    }
    let accept = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|(_, v)| v.trim().to_string());
    if accept.as_deref() != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err("the upgrade answer's Sec-WebSocket-Accept does not match".into());
    }
    let rest = buf[header_end..].to_vec();
    Ok(WebSocketStream::from_partially_read(stream, rest, Role::Client, None).await)
}
