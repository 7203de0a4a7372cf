package provider

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Network says where provider clients may connect beyond the public internet. Link-local, cloud-metadata
// and unspecified addresses are always refused; private ranges only unless AllowedCIDRs holds them;
// loopback only when the endpoint itself is an explicit loopback address (a sandbox on this machine).
type Network struct {
	// AllowedCIDRs are ranges clients may dial although they are private: on-premises providers, a
	// corporate proxy, a test network (the manager's --allowed-provider-cidrs).
	AllowedCIDRs []netip.Prefix
}

// The schemes a provider endpoint may use.
const (
	schemeHTTP  = "http"
	schemeHTTPS = "https"
)

// CheckEndpoint is the one rule for every provider endpoint (a ClusterInvitationProvider's baseURL, a
// manager flag, a Ghost site URL), applied to the parsed URL whatever its case: an absolute http(s) URL
// with a host and no user info, query or fragment; plain http only to a loopback address.
func CheckEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || (u.Scheme != schemeHTTPS && u.Scheme != schemeHTTP) || u.Hostname() == "":
		return nil, fmt.Errorf("%q must be an absolute http(s) URL", raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("%q may not contain user info, a query or a fragment", raw)
	case u.Scheme == schemeHTTP && !IsLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("%q must use https; plain http is allowed only to a loopback address (127.0.0.0/8, [::1], localhost)", raw)
	}
	return u, nil
}

// IsLoopbackHost reports whether host (a URL's hostname) names this machine: localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// ParseCIDRs reads a comma-separated list of CIDR ranges (a flag's value).
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8 or fd00::/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// NormalizeSite is a site URL (a Ghost site is its URL) in the form sites are compared in: an absolute
// http(s) URL with a host and no credentials, query or fragment, scheme and host lowercased, without a
// trailing slash. A site in a subdirectory (https://example.com/blog) keeps its path, as Ghost serves its
// API below it.
func NormalizeSite(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != schemeHTTPS && u.Scheme != schemeHTTP) || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("site %q must be an absolute http(s) URL without credentials, query or fragment", s)
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/"), nil
}
