//! The client address of the request being served: the TCP peer or, when that peer is a
//! configured trusted proxy, the address it forwarded. Throttles key on it and audit
//! events record it.

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

tokio::task_local! {
    static CLIENT: ClientAddr;
}

/// Who sent the request, as far as the network can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The address of the request this task serves, for audit events; none outside a request
/// (the scheduler, the command line).
pub fn current() -> Option<String> {
    CLIENT.try_with(|c| c.0.clone()).ok()
}

/// Runs `fut` (a task spawned by a request) as that request's client, for its audit events.
pub fn scope<F: std::future::Future>(
    client: ClientAddr,
    fut: F,
) -> impl std::future::Future<Output = F::Output> {
    CLIENT.scope(client, fut)
}

/// Parses `OPENFLEX_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges.
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("trusted_proxies: {s:?} is not an IP address or CIDR range"))
        })
        .collect()
}

/// The client of a request from `peer`: when the peer is a trusted proxy, the right-most
/// address in `X-Forwarded-For` that is not itself a trusted proxy (the left-most ones are
/// whatever the client chose to send); otherwise the peer.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> ClientAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let Some(peer) = peer else {
        return ClientAddr("unknown".to_owned());
    };
    if !is_trusted(&peer) {
        return ClientAddr(peer.to_string());
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    let client = forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or_else(|| forwarded.first())
        .copied()
        .unwrap_or(peer);
    ClientAddr(client.to_string())
}

/// Middleware: works out the client once per request and makes it available to handlers
/// (as a request extension) and to the services they call (for audit events).
pub async fn layer(
    axum::extract::State(trusted): axum::extract::State<std::sync::Arc<Vec<IpNet>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = resolve(peer, request.headers(), &trusted);
    request.extensions_mut().insert(client.clone());
    CLIENT.scope(client, next.run(request)).await
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .cloned()
            .unwrap_or_else(|| ClientAddr("unknown".to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = xff.parse() {
            h.insert("x-forwarded-for", v);
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted = parse_trusted("10.0.0.0/8, 192.0.2.7").unwrap_or_default();
        let proxy: IpAddr = [10, 1, 2, 3].into();
        let stranger: IpAddr = [203, 0, 113, 9].into();
        // A direct client cannot claim another address.
        assert_eq!(
            resolve(Some(stranger), &headers("198.51.100.1"), &trusted).0,
            "203.0.113.9"
        );
        // Behind the proxy, the right-most untrusted hop is the client; what the client
        // put on the left is ignored.
        assert_eq!(
            resolve(
                Some(proxy),
                &headers("1.1.1.1, 198.51.100.1, 10.9.9.9"),
                &trusted
            )
            .0,
            "198.51.100.1"
        );
        assert_eq!(resolve(Some(proxy), &headers(""), &trusted).0, "10.1.2.3");
        assert!(parse_trusted("not-an-ip").is_err());
    }
}
