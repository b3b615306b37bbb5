//! Who a request comes from. The address is the TCP peer, unless that peer is one of
//! the operator's trusted proxies: then the one header those proxies set
//! (`X-Forwarded-For`, or with `--forwarded-header forwarded` RFC 7239's `Forwarded`) is
//! read from the right, hop by hop, and the first hop that is not a trusted proxy is the
//! client. Only that header is read: a proxy that sets one passes the other through as
//! the client wrote it. Every address rule (attempt limits, allowlists, last use, the
//! log) reads this one value from the request's extensions.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use domain::tokens::IpNet;

pub use app::auth::ClientIp;

/// Which header the trusted proxies record the client in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx, Caddy, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded: for=…`.
    Forwarded,
}

/// The networks whose forwarding header is believed (empty: none are), and which header
/// that is.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>, ForwardedHeader);

impl TrustedProxies {
    /// CIDR networks or single addresses, separated by commas or spaces.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let nets = raw
            .split([',', ' ', ';'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                IpNet::parse(p.trim())
                    .map_err(|_| format!("\"{p}\" is not an IP address or CIDR network"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Arc::new(nets), ForwardedHeader::default()))
    }

    /// The same proxies, recording the client in `header`.
    pub fn reading(self, header: ForwardedHeader) -> Self {
        Self(self.0, header)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client behind `peer`, reading forwarding headers only through trusted hops.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_hops(headers, self.1);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                // A hop a proxy could not name: the proxy that forwarded it is all we know.
                None => return client,
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.trusts(client) {
                        return client;
                    }
                }
            }
        }
        client
    }
}

/// A v4 client seen through a v6 socket counts as its v4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses the proxies recorded in `which`, oldest hop first; `None` for a hop that
/// is not an address (`unknown`, an obfuscated name, garbage).
fn forwarded_hops(headers: &HeaderMap, which: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().map(str::to_owned).unwrap_or_default())
            .collect()
    };
    if which == ForwardedHeader::Forwarded {
        return values("forwarded")
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v.trim().trim_matches('"')))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// Puts the client's address into the request's extensions, where the REST handlers
/// and the server functions read it.
pub async fn resolve(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = proxies.client(peer, request.headers());
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(proxies.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client wrote a fake first hop; the proxies appended the real ones.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn only_the_header_the_proxies_set_is_read() {
        // nginx sets X-Forwarded-For and passes a client's Forwarded through as written.
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("198.51.100.7"));
        // A proxy that sets Forwarded: a client's X-Forwarded-For is not read.
        let proxies = proxies.reading(ForwardedHeader::Forwarded);
        let h = headers(&[
            ("forwarded", "for=198.51.100.8"),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("198.51.100.8"));
    }

    #[test]
    fn forwarded_takes_ports_and_brackets() {
        let proxies = TrustedProxies::parse("10.0.0.0/8")
            .unwrap()
            .reading(ForwardedHeader::Forwarded);
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https",
            ),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=198.51.100.8:1234")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("198.51.100.8"));
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_proxy_that_sent_it() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7, unknown, 10.0.0.5")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &h), ip("10.0.0.5"));
        let h = headers(&[("forwarded", "for=unknown")]);
        let proxies = proxies.reading(ForwardedHeader::Forwarded);
        assert_eq!(proxies.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn only_proxies_all_the_way_gives_the_oldest_hop() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.5")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &h), ip("10.9.9.9"));
        let nothing = HeaderMap::new();
        assert_eq!(proxies.client(ip("10.0.0.1"), &nothing), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_v4_peers_are_v4() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &h),
            ip("198.51.100.7")
        );
        assert!(TrustedProxies::parse("not-a-net").is_err());
    }
}
