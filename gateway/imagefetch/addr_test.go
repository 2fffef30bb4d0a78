package imagefetch

import (
	"net"
	"net/netip"
	"testing"
)

// classifyGolden: address → whether it may be dialled. Every blocked range has its edges and an embedded form
// (IPv4-mapped, NAT64, 6to4) where one exists; the public rows sit just outside blocked ranges.
var classifyGolden = []struct {
	addr   string
	public bool
}{
	// Public IPv4, including neighbours of blocked ranges.
	{"1.1.1.1", true},
	{"8.8.8.8", true},
	{"52.94.76.1", true}, // an AWS public address
	{"9.255.255.255", true},
	{"11.0.0.0", true},
	{"100.63.255.255", true},
	{"100.128.0.0", true},
	{"126.255.255.255", true},
	{"128.0.0.0", true},
	{"169.253.255.255", true},
	{"169.255.0.0", true},
	{"172.15.255.255", true},
	{"172.32.0.0", true},
	{"192.0.1.0", true},
	{"192.0.3.0", true},
	{"192.167.255.255", true},
	{"192.169.0.0", true},
	{"198.17.255.255", true},
	{"198.20.0.0", true},
	{"223.255.255.255", true},

	// Blocked IPv4.
	{"0.0.0.0", false},
	{"0.1.2.3", false},
	{"0.255.255.255", false},
	{"10.0.0.0", false},
	{"10.0.0.1", false},
	{"10.255.255.255", false},
	{"100.64.0.0", false},
	{"100.127.255.255", false},
	{"127.0.0.1", false},
	{"127.0.0.2", false},
	{"127.255.255.255", false},
	{"169.254.0.1", false},
	{"169.254.169.254", false}, // EC2 IMDS
	{"169.254.170.2", false},   // ECS task metadata / credentials
	{"169.254.170.23", false},  // EKS Pod Identity
	{"169.254.169.253", false}, // Amazon DNS
	{"169.254.255.255", false},
	{"172.16.0.0", false},
	{"172.31.255.255", false},
	{"192.0.0.8", false},
	{"192.0.2.1", false},
	{"192.88.99.1", false},
	{"192.168.0.1", false},
	{"192.168.255.255", false},
	{"198.18.0.1", false},
	{"198.19.255.255", false},
	{"198.51.100.7", false},
	{"203.0.113.9", false},
	{"224.0.0.1", false},
	{"239.255.255.250", false},
	{"240.0.0.1", false},
	{"255.255.255.254", false},
	{"255.255.255.255", false},

	// IPv4-mapped IPv6: judged by the IPv4 address.
	{"::ffff:127.0.0.1", false},
	{"::ffff:7f00:1", false},
	{"::ffff:169.254.169.254", false},
	{"::ffff:a9fe:a9fe", false},
	{"::ffff:10.0.0.1", false},
	{"::ffff:0.0.0.0", false},
	{"::ffff:100.64.0.1", false},
	{"::ffff:255.255.255.255", false},
	{"::ffff:8.8.8.8", true},
	{"::ffff:1.1.1.1", true},

	// NAT64 well-known prefix: judged by the embedded IPv4 address.
	{"64:ff9b::127.0.0.1", false},
	{"64:ff9b::a9fe:a9fe", false}, // 169.254.169.254
	{"64:ff9b::169.254.170.2", false},
	{"64:ff9b::10.1.2.3", false},
	{"64:ff9b::192.168.1.1", false},
	{"64:ff9b::100.64.0.1", false},
	{"64:ff9b::0.0.0.0", false},
	{"64:ff9b::8.8.8.8", true},
	{"64:ff9b::34.1.2.3", true},
	{"64:ff9b:1::8.8.8.8", false}, // local-use NAT64 (RFC 8215)

	// 6to4: judged by the embedded IPv4 address.
	{"2002:7f00:1::1", false},      // 127.0.0.1
	{"2002:a9fe:a9fe::", false},    // 169.254.169.254
	{"2002:c0a8:101::1", false},    // 192.168.1.1
	{"2002:0a00:0001::", false},    // 10.0.0.1
	{"2002:0808:0808::1", true},    // 8.8.8.8
	{"2002:0101:0101:1::1", true},  // 1.1.1.1
	{"2001:0:4136:e378::1", false}, // Teredo
	{"2001:db8::1", false},         // documentation
	{"2001:db8:ffff::1", false},    // documentation
	{"3fff::1", false},             // documentation (RFC 9637)
	{"2001:4860:4860::8888", true}, // Google DNS
	{"2606:4700:4700::1111", true}, // Cloudflare DNS
	{"2600:1f18::1", true},         // AWS
	{"2a00:1450:4001::1", true},    // public
	{"3ffe:ffff::1", true},         // inside 2000::/3, not special
	{"2001:200::1", true},          // just past 2001::/23

	// Blocked IPv6.
	{"::", false},
	{"::1", false},
	{"::2", false},
	{"::127.0.0.1", false}, // IPv4-compatible (deprecated)
	{"::8.8.8.8", false},
	{"::ffff:0:127.0.0.1", false}, // SIIT IPv4-translated
	{"100::1", false},
	{"fc00::1", false},
	{"fd00::1", false},
	{"fd00:ec2::254", false}, // EC2 IMDS over IPv6
	{"fd00:ec2::23", false},  // EKS Pod Identity over IPv6
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
	{"fe80::1", false},
	{"fe80::1%eth0", false},
	{"febf:ffff::1", false},
	{"fec0::1", false},
	{"ff02::1", false},
	{"ff05::1:3", false},
	{"1000::1", false}, // outside 2000::/3
	{"4000::1", false},
	{"e000::1", false},
	{"2001:db8::1%1", false}, // any zone
}

func TestClassifyGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range classifyGolden {
		if seen[tc.addr] {
			t.Errorf("duplicate row %s", tc.addr)
		}
		seen[tc.addr] = true
		a, err := netip.ParseAddr(tc.addr)
		if err != nil {
			t.Fatalf("bad golden address %q: %v", tc.addr, err)
		}
		cat := classify(a)
		if got := cat == ""; got != tc.public {
			t.Errorf("classify(%s) = %q, want public=%v", tc.addr, cat, tc.public)
		}
	}
}

func TestClassifyCategories(t *testing.T) {
	// Categories are for logs; spot-check that the important ones say what they are.
	for addr, want := range map[string]string{
		"169.254.169.254":      "cloud metadata (link-local)",
		"fd00:ec2::254":        "cloud metadata (IPv6)",
		"127.0.0.1":            "loopback",
		"::1":                  "loopback",
		"255.255.255.255":      "broadcast",
		"64:ff9b::a9fe:a9fe":   "NAT64 of cloud metadata (link-local)",
		"::ffff:10.0.0.1":      "private (RFC 1918)",
		"2002:c0a8:101::1":     "6to4 of private (RFC 1918)",
		"fd12::1":              "private (unique local)",
		"100.100.100.100":      "shared address space (CGNAT)",
		"::":                   "unspecified",
		"0.0.0.0":              "this network (0.0.0.0/8)",
		"fe80::1%eth0":         "scoped (zone)",
		"2001:0:4136:e378::1":  "IETF protocol assignments (incl. Teredo)",
		"2606:4700:4700::1111": "",
	} {
		if got := classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("classify(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := classify(netip.Addr{}); got == "" {
		t.Error("the zero Addr must not be public")
	}
}

// FuzzClassify checks invariants that must hold for every address:
//   - classify never panics and the zero/zoned forms are never public;
//   - an IPv4 address, its IPv4-mapped form and its NAT64 form classify alike (public or not);
//   - anything the standard library calls loopback, private, link-local, multicast or unspecified is refused.
func FuzzClassify(f *testing.F) {
	for _, tc := range classifyGolden {
		a := netip.MustParseAddr(tc.addr)
		b := a.WithZone("").AsSlice()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			if classify(a) == "" {
				t.Fatalf("invalid address %v classified public", b)
			}
			return
		}
		public := classify(a) == ""
		if a.Is6() && classify(a.WithZone("eth0")) == "" {
			t.Fatalf("zoned %s classified public", a)
		}
		ip := net.IP(a.AsSlice())
		if public && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
			ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()) {
			t.Fatalf("%s classified public but net.IP says it is special", a)
		}
		v4 := a.Unmap()
		if !v4.Is4() {
			return
		}
		want := classify(v4) == ""
		mapped := netip.AddrFrom16(v4.As16())
		if got := classify(mapped) == ""; got != want {
			t.Fatalf("mapped %s public=%v, IPv4 %s public=%v", mapped, got, v4, want)
		}
		n := netip.MustParseAddr("64:ff9b::").As16()
		v := v4.As4()
		copy(n[12:], v[:])
		if got := classify(netip.AddrFrom16(n)) == ""; got != want {
			t.Fatalf("NAT64 %s public=%v, IPv4 %s public=%v", netip.AddrFrom16(n), got, v4, want)
		}
	})
}
