package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Guard decides, when a connection is made and after the name is resolved, which addresses a provider
// client may reach: an endpoint that passes every static check can still resolve to the cloud's metadata
// service or to a pod next door. Link-local, cloud-metadata, unspecified, multicast and broadcast
// addresses are always refused, in every form (IPv4-mapped IPv6, NAT64, 6to4); private and shared
// (CGNAT) ranges unless Allowed holds them; loopback unless Loopback is set.
//
// With a proxy from the environment (HTTPS_PROXY), the connection goes to the proxy, so the proxy's
// address is what Guard checks: a private proxy must be in Allowed, and the provider's host is resolved
// by the proxy.
type Guard struct {
	// Allowed are ranges that may be dialled although they are private.
	Allowed []netip.Prefix
	// Loopback allows loopback addresses: set only for an explicit loopback endpoint.
	Loopback bool
	// Resolve looks a name up; nil means the system resolver. Tests inject one.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to one address that passed the checks; nil means a net.Dialer. Tests inject one that
	// records what would have been dialled, so no test opens a connection to a non-loopback address.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// DialRefusedError is a connection Guard would not make; nothing was sent.
type DialRefusedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *DialRefusedError) Error() string {
	if e.Addr.IsValid() && e.Addr.String() != e.Host {
		return fmt.Sprintf("refusing to connect to %s (%s): %s", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("refusing to connect to %s: %s", e.Host, e.Reason)
}

// DialContext resolves address, drops every address Guard refuses, and dials the first one left. When
// every address is refused, it returns a *DialRefusedError without dialling.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		resolve := g.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if addrs, err = resolve(ctx, host); err != nil {
			return nil, err
		}
	}
	dial := g.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	var refused *DialRefusedError
	var lastErr error
	for _, a := range addrs {
		if reason := g.refuse(a); reason != "" {
			if refused == nil {
				refused = &DialRefusedError{Host: host, Addr: a, Reason: reason}
			}
			continue
		}
		conn, err := dial(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	if refused == nil {
		refused = &DialRefusedError{Host: host, Reason: "the name has no address"}
	}
	return nil, refused
}

var (
	// metadata are cloud metadata services outside the link-local range (AWS IPv6, Alibaba Cloud); they
	// are refused even when an allowed range contains them.
	metadata = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200")}
	// shared is RFC 6598 carrier-grade NAT space, private in all but name.
	shared = netip.MustParsePrefix("100.64.0.0/10")
	// reserved are IPv4 ranges no provider lives in: "this network", IETF protocol assignments,
	// benchmarking, reserved for future use.
	reserved = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4")}
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixto4 = netip.MustParsePrefix("2002::/16")
)

// refuse says why a may not be dialled, or "" when it may.
func (g *Guard) refuse(a netip.Addr) string {
	a = a.Unmap()
	if embedded, ok := embeddedIPv4(a); ok {
		if reason := g.refuse(embedded); reason != "" {
			return reason + " (embedded in " + a.String() + ")"
		}
	}
	switch {
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "a link-local address, where cloud metadata services answer"
	case isMetadata(a):
		return "a cloud metadata address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a multicast or broadcast address"
	case a.IsLoopback():
		if g.Loopback {
			return ""
		}
		return "a loopback address, allowed only when the endpoint itself is an explicit loopback URL"
	case g.allowed(a):
		return ""
	case a.IsPrivate() || shared.Contains(a):
		return "a private address; allow its range with the manager's --allowed-provider-cidrs if the provider really lives there"
	case inAny(reserved, a):
		return "a reserved address"
	}
	return ""
}

func (g *Guard) allowed(a netip.Addr) bool { return inAny(g.Allowed, a) }

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func isMetadata(a netip.Addr) bool {
	for _, m := range metadata {
		if a == m {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 address a NAT64 or 6to4 address stands for.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixto4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}
