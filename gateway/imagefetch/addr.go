package imagefetch

import "net/netip"

// classify reports why an address must not be dialled, or "" if it is a public unicast address the gateway may
// fetch from. The category is for operators' logs only; clients get one generic reason (see reasonPrivate) so the
// gateway does not become an oracle for mapping the VPC.
//
// IPv4 is a block-list (the space is fully allocated; everything not listed is public). IPv6 is an allow-list: only
// global unicast 2000::/3 is public, minus the special ranges inside it, so addresses from ranges IANA assigns later
// outside 2000::/3 are refused by default. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are
// judged by the embedded address, because a dual-stack socket or a NAT64/6to4 gateway would deliver the packet to it.
func classify(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	if a.Zone() != "" {
		// Zones only make sense for link-scoped addresses; never dial one.
		return "scoped (zone)"
	}
	if a.Is4In6() {
		// ::ffff:a.b.c.d reaches a.b.c.d on a dual-stack socket.
		return classify4(a.Unmap())
	}
	if a.Is4() {
		return classify4(a)
	}
	return classify6(a)
}

type rangeCat struct {
	p   netip.Prefix
	cat string
}

// Special addresses on the AWS task's path, named so logs say "metadata" rather than just "link-local".
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // EC2 instance metadata (IMDS)
	netip.MustParseAddr("169.254.170.2"):   true, // ECS task metadata and credentials endpoint
	netip.MustParseAddr("169.254.170.23"):  true, // EKS Pod Identity agent
	netip.MustParseAddr("169.254.169.253"): true, // Amazon DNS resolver (link-local form)
	netip.MustParseAddr("fd00:ec2::254"):   true, // EC2 instance metadata over IPv6
	netip.MustParseAddr("fd00:ec2::23"):    true, // EKS Pod Identity agent over IPv6
	netip.MustParseAddr("fd00:ec2::253"):   true, // Amazon DNS resolver over IPv6
}

var blocked4 = []rangeCat{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network (0.0.0.0/8)"}, // 0.0.0.0 reaches localhost on Linux
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"}, // before 240/4 so logs say broadcast
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

func classify4(a netip.Addr) string {
	if metadataAddrs[a] {
		return "cloud metadata (link-local)"
	}
	for _, r := range blocked4 {
		if r.p.Contains(a) {
			return r.cat
		}
	}
	return ""
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix: last 32 bits are the IPv4 target
	sixToFour = netip.MustParsePrefix("2002::/16")    // RFC 3056: bits 16..47 are the IPv4 relay/target
	global6   = netip.MustParsePrefix("2000::/3")
)

// Ranges outside 2000::/3 are listed only to give logs a useful name; they are refused anyway.
var named6 = []rangeCat{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated (SIIT)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Special ranges inside 2000::/3 that are not ordinary public unicast.
var blocked6InGlobal = []rangeCat{
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (incl. Teredo)"}, // Teredo hides an IPv4 address
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
}

func classify6(a netip.Addr) string {
	if metadataAddrs[a] {
		return "cloud metadata (IPv6)"
	}
	if nat64.Contains(a) {
		// A NAT64 gateway (e.g. an AWS NAT gateway with DNS64) would forward to the embedded IPv4 address.
		b := a.As16()
		if c := classify4(netip.AddrFrom4([4]byte(b[12:16]))); c != "" {
			return "NAT64 of " + c
		}
		return ""
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		if c := classify4(netip.AddrFrom4([4]byte(b[2:6]))); c != "" {
			return "6to4 of " + c
		}
		return ""
	}
	if global6.Contains(a) {
		for _, r := range blocked6InGlobal {
			if r.p.Contains(a) {
				return r.cat
			}
		}
		return ""
	}
	for _, r := range named6 {
		if r.p.Contains(a) {
			return r.cat
		}
	}
	return "reserved (outside 2000::/3)"
}
