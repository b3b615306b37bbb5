//! Where a token may be used from: a list of IP networks.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::clip;
use crate::error::DomainError;

/// One network of an allowlist: an address and a prefix length (`203.0.113.0/24`,
/// `2001:db8::/32`; a bare address is a single host). The address is kept as written,
/// host bits and all, so the list reads back the way its owner typed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "NetFields", try_from = "NetFields")]
pub struct IpNet(ipnet::IpNet);

impl IpNet {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        let net = match text.split_once('/') {
            None => text.parse::<IpAddr>().ok().map(ipnet::IpNet::from),
            // ipnet reads an octet such as `010` as ten; std, like this list always has,
            // refuses it, since other tools read it as octal eight.
            Some((addr, _)) => text
                .parse::<ipnet::IpNet>()
                .ok()
                .filter(|_| addr.parse::<IpAddr>().is_ok()),
        };
        net.map(Self).ok_or_else(|| {
            DomainError::param(
                "allowedIps",
                format!("\"{}\" is not an IP address or CIDR network", clip(raw)),
            )
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // A v4 client seen through a v6 socket still counts as that v4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            write!(f, "{}", self.0.addr())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// How a network travels to the browser (and reads back from it): its address and
/// prefix length as two fields.
#[derive(Serialize, Deserialize)]
struct NetFields {
    addr: IpAddr,
    prefix: u8,
}

impl From<IpNet> for NetFields {
    fn from(net: IpNet) -> Self {
        Self {
            addr: net.0.addr(),
            prefix: net.0.prefix_len(),
        }
    }
}

impl TryFrom<NetFields> for IpNet {
    type Error = ipnet::PrefixLenError;

    fn try_from(fields: NetFields) -> Result<Self, Self::Error> {
        ipnet::IpNet::new(fields.addr, fields.prefix).map(Self)
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

    /// May a call from `ip` (the caller's address as its origin records it) use the
    /// token? The address is read only when there is a list; an unknown or unreadable
    /// one never passes it.
    pub fn allows(&self, ip: Option<&str>) -> bool {
        self.0.is_empty()
            || ip
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .is_some_and(|ip| self.0.iter().any(|n| n.contains(ip)))
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

    fn ip(s: &str) -> Option<&str> {
        Some(s)
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

    #[test]
    fn prefixes_are_plain_numbers_and_octets_never_look_octal() {
        // Taken before ipnet read the networks; no one means them, so refused now.
        for bad in ["10.0.0.0/+8", "10.0.0.0/008", "::/0064", "10.0.0.0 /8"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
        // ipnet alone would read these as 10.0.0.0/8; std refuses the octal look-alike.
        for bad in ["010.0.0.0/8", "10.0.0.00/8", "010.0.0.1"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            IpNet::parse("10.0.0.0/08").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(IpNet::parse(" ::/064 ").unwrap().to_string(), "::/64");
    }

    #[test]
    fn a_network_reads_back_as_written() {
        let list = Allowlist::parse("10.0.0.1/8 10.0.0.0/8 10.0.0.1/8 10.9.9.9/32 2001:DB8::/128")
            .unwrap();
        // Host bits are kept (and the two spellings are two entries), yet match the network.
        assert_eq!(list.to_text(), "10.0.0.1/8,10.0.0.0/8,10.9.9.9,2001:db8::");
        assert!(list.allows(ip("10.200.3.4")));
        assert_eq!(
            IpNet::parse("::ffff:10.0.0.0/104").unwrap().to_string(),
            "::ffff:10.0.0.0/104"
        );
    }

    #[test]
    fn a_v4_mapped_network_matches_no_client() {
        // Clients are compared as v4 when they arrive v4-mapped, so such a network,
        // accepted as written, never matches: the same before and after ipnet.
        let list = Allowlist::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(!list.allows(ip("10.1.1.1")));
        assert!(!list.allows(ip("::ffff:10.1.1.1")));
    }

    #[test]
    fn networks_travel_as_address_and_prefix() {
        let net = IpNet::parse("10.0.0.1/8").unwrap();
        let json = serde_json::to_string(&net).unwrap();
        assert_eq!(json, r#"{"addr":"10.0.0.1","prefix":8}"#);
        assert_eq!(serde_json::from_str::<IpNet>(&json).unwrap(), net);
        let host = r#"{"addr":"::1","prefix":128}"#;
        assert_eq!(
            serde_json::to_string(&serde_json::from_str::<IpNet>(host).unwrap()).unwrap(),
            host
        );
        assert!(serde_json::from_str::<IpNet>(r#"{"addr":"10.0.0.0","prefix":33}"#).is_err());
    }
}
