//! Who is on the other end: the client's address (for sign-in throttling) and whether they
//! reached us over HTTPS (for the cookie's `Secure`). `X-Forwarded-For` and
//! `X-Forwarded-Proto` are believed only from a trusted proxy (`serve --trusted-proxy`):
//! from anyone else they are whatever an attacker wants them to be.

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The TCP peer, when the server was started with connection info (tests that call the
/// router directly have none).
fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
}

/// IPv4 seen through an IPv6 socket (`::ffff:192.0.2.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn trusted(ip: IpAddr, proxies: &[IpAddr]) -> bool {
    proxies.iter().any(|p| canonical(*p) == ip)
}

/// The client's address as text: the TCP peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy (each proxy
/// appends who it heard from, so the right end is the most trustworthy).
pub fn address(parts: &Parts, proxies: &[IpAddr]) -> String {
    let Some(peer) = peer(parts) else {
        return "unknown".into();
    };
    client_ip(peer, &parts.headers, proxies).to_string()
}

fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &[IpAddr]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted(peer, proxies) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        // A hop that is not an address cannot be trusted further; stop at the last good one.
        let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = ip;
        if !trusted(ip, proxies) {
            break;
        }
    }
    client
}

/// Whether the client reached us over HTTPS: the public URL is https, or a trusted proxy
/// says so in `X-Forwarded-Proto`.
pub fn https(parts: &Parts, proxies: &[IpAddr], public_url: Option<&str>) -> bool {
    if public_url.is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://")) {
        return true;
    }
    peer(parts).is_some_and(|p| trusted(p, proxies))
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxies = [ip("10.0.0.1")];
        let headers = forwarded("198.51.100.7");
        assert_eq!(
            client_ip(ip("203.0.113.5"), &headers, &proxies),
            ip("203.0.113.5"),
            "anyone can send the header"
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers, &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &proxies),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_spoofed_left_end_does_not_hide_the_real_client() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client sent "1.2.3.4" itself; the proxies appended what they saw.
        let headers = forwarded("1.2.3.4, 198.51.100.7, 10.0.0.2");
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers, &proxies),
            ip("198.51.100.7")
        );
        let headers = forwarded("garbage, 198.51.100.7");
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers, &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(
                ip("::ffff:10.0.0.1"),
                &forwarded("::ffff:198.51.100.9"),
                &proxies
            ),
            ip("198.51.100.9"),
            "IPv4 through IPv6 is IPv4"
        );
    }
}
