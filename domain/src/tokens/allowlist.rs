//! Where a token may be used from: a list of IP networks.

use serde::{Deserialize, Serialize};

use super::clip;
use crate::error::DomainError;

/// One network of an allowlist: an address and a prefix length (`203.0.113.0/24`,
/// `2001:db8::/32`; a bare address is a single host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad = || {
            DomainError::param(
                "allowedIps",
                format!("\"{}\" is not an IP address or CIDR network", clip(raw)),
            )
        };
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: std::net::IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        // A v4 client seen through a v6 socket still counts as that v4 address.
        let ip = match ip {
            V6(v6) => v6.to_ipv4_mapped().map_or(ip, V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// Where a token may be used from; empty means anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowlist(Vec<IpNet>);

pub const ALLOWLIST_MAX: usize = 50;

impl Allowlist {
    /// Networks separated by commas, semicolons, spaces or new lines.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let mut nets = Vec::new();
        for part in raw
            .split([',', ';', ' ', '\n', '\r', '\t'])
            .filter(|p| !p.is_empty())
        {
            let net = IpNet::parse(part)?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > ALLOWLIST_MAX {
            return Err(DomainError::param(
                "allowedIps",
                format!("lists more than {ALLOWLIST_MAX} networks"),
            ));
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// May a call from `ip` use the token? An unknown address never passes a list.
    pub fn allows(&self, ip: Option<std::net::IpAddr>) -> bool {
        self.0.is_empty() || ip.is_some_and(|ip| self.0.iter().any(|n| n.contains(ip)))
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// The stored form: entries separated by commas.
    pub fn to_text(&self) -> String {
        self.entries().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<std::net::IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn networks_match_their_addresses() {
        let list = Allowlist::parse("10.0.0.0/8, 192.168.1.7\n2001:db8::/32").unwrap();
        assert!(list.allows(ip("10.200.3.4")));
        assert!(list.allows(ip("192.168.1.7")));
        assert!(!list.allows(ip("192.168.1.8")));
        assert!(list.allows(ip("2001:db8:1::5")));
        assert!(!list.allows(ip("2001:db9::1")));
        assert!(list.allows(ip("::ffff:10.1.1.1")), "v4-mapped v6");
        assert!(!list.allows(None));
        assert_eq!(list.to_text(), "10.0.0.0/8,192.168.1.7,2001:db8::/32");
        assert!(Allowlist::parse("").unwrap().allows(ip("8.8.8.8")));
        assert!(Allowlist::parse("0.0.0.0/0").unwrap().allows(ip("8.8.8.8")));
        assert!(Allowlist::parse("::/0").unwrap().allows(ip("2001:db8::1")));
    }

    #[test]
    fn malformed_networks_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0",
            "::/129",
            "host.example",
            "10.0.0.0/x",
            "1.2.3.4/",
        ] {
            assert!(Allowlist::parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..51).map(|i| format!("10.0.0.{i}")).collect();
        assert!(Allowlist::parse(&many.join(",")).is_err());
    }
}
