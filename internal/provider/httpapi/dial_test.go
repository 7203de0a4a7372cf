package httpapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
)

// recorder stands in for DNS and the network: it resolves names from a table and records every address
// that would have been dialled, failing each dial, so no test connects to a non-loopback address.
type recorder struct {
	mu     sync.Mutex
	names  map[string][]string
	dialed []string
}

func (r *recorder) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(r.names[host]))
	for _, a := range r.names[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (r *recorder) dial(_ context.Context, _, address string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dialed = append(r.dialed, address)
	return nil, errors.New("the test network dials nothing")
}

// TestGuardRefusesBeforeAnyByteLeaves: every address class the guard refuses, by literal and by a name
// that resolves to it, is refused without a dial; allowed ones are dialled.
func TestGuardRefusesBeforeAnyByteLeaves(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		addrs   []string // what the name resolves to
		allowed string   // --allowed-provider-cidrs
		dial    string   // the address dialled, "" for none
		reason  string
	}{
		{name: "link-local metadata", addrs: []string{"169.254.169.254"}, reason: "link-local"},
		{name: "IPv6 link-local", addrs: []string{"fe80::1"}, reason: "link-local"},
		{name: "IPv4-mapped metadata", addrs: []string{"::ffff:169.254.169.254"}, reason: "link-local"},
		{name: "NAT64 form of metadata", addrs: []string{"64:ff9b::a9fe:a9fe"}, reason: "embedded in"},
		{name: "AWS IPv6 metadata, even if allowed", addrs: []string{"fd00:ec2::254"}, allowed: "fd00::/8", reason: "metadata"},
		{name: "Alibaba metadata, even if allowed", addrs: []string{"100.100.100.200"}, allowed: "100.64.0.0/10", reason: "metadata"},
		{name: "unspecified", addrs: []string{"0.0.0.0"}, reason: "unspecified"},
		{name: "IPv6 unspecified", addrs: []string{"::"}, reason: "unspecified"},
		{name: "private", addrs: []string{"10.1.2.3"}, reason: "--allowed-provider-cidrs"},
		{name: "private IPv6", addrs: []string{"fd12::1"}, reason: "private"},
		{name: "CGNAT", addrs: []string{"100.64.1.1"}, reason: "private"},
		{name: "loopback without an explicit loopback endpoint", addrs: []string{"127.0.0.1"}, reason: "loopback"},
		{name: "a private address that is allowed", addrs: []string{"10.1.2.3"}, allowed: "10.0.0.0/8", dial: "10.1.2.3:443"},
		{name: "a public address", addrs: []string{"93.184.216.34"}, dial: "93.184.216.34:443"},
		{name: "a refused address first, a public one second", addrs: []string{"169.254.169.254", "93.184.216.34"}, dial: "93.184.216.34:443"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, host := range []string{"provider.example", tc.addrs[0]} {
				if host != "provider.example" && len(tc.addrs) > 1 {
					continue // a literal is one address
				}
				rec := &recorder{names: map[string][]string{"provider.example": tc.addrs}}
				cidrs, err := provider.ParseCIDRs(tc.allowed)
				if err != nil {
					t.Fatal(err)
				}
				h := httpapi.NewHTTP(provider.Wix, provider.Config{Credential: "k", Network: provider.Network{AllowedCIDRs: cidrs}})
				h.Guard.Resolve, h.Guard.Dial = rec.resolve, rec.dial
				target := "https://" + net.JoinHostPort(host, "443") + "/x"
				_, err = h.Do(context.Background(), httpapi.Call{Op: "invite", Method: http.MethodPost, URL: target, Body: []byte("{}"), Applies: true})
				switch {
				case tc.dial == "":
					var perm *provider.PermanentError
					if !errors.As(err, &perm) || perm.Reason != provider.ReasonEndpointNotAllowed || !strings.Contains(err.Error(), tc.reason) {
						t.Fatalf("%s: want EndpointNotAllowed naming %q, got %v", host, tc.reason, err)
					}
					if len(rec.dialed) != 0 {
						t.Fatalf("%s: dialled %v", host, rec.dialed)
					}
				case len(rec.dialed) != 1 || rec.dialed[0] != tc.dial:
					t.Fatalf("%s: dialled %v, want %s", host, rec.dialed, tc.dial)
				}
			}
		})
	}
}

// TestGuardAllowsLoopbackOnlyForALoopbackEndpoint: a sandbox on this machine is reached, a name that
// resolves to loopback from a public endpoint is not.
func TestGuardAllowsLoopbackOnlyForALoopbackEndpoint(t *testing.T) {
	t.Parallel()
	rec := &recorder{names: map[string][]string{"localhost": {"127.0.0.1"}}}
	h := httpapi.NewHTTP(provider.Wix, provider.Config{Credential: "k", BaseURL: "http://localhost:9101"})
	h.Guard.Resolve, h.Guard.Dial = rec.resolve, rec.dial
	_, _ = h.Do(context.Background(), httpapi.Call{Op: "list", Method: http.MethodGet, URL: "http://localhost:9101/x"})
	if len(rec.dialed) != 1 || rec.dialed[0] != "127.0.0.1:9101" {
		t.Fatalf("dialled %v", rec.dialed)
	}
}

// TestCredentialIsRedactedFromEchoingAnswers: a provider that echoes the Authorization header in its
// error body, raw or escaped, leaves no trace of the credential in what the client returns.
func TestCredentialIsRedactedFromEchoingAnswers(t *testing.T) {
	t.Parallel()
	const secret = "sk_live/abc+def123456"
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"message":"bad header ` + auth + ` / ` + strings.ReplaceAll(auth, "/", `\/`) + `"}`))
	})
	url := providertest.Serve(t, srv)
	h := httpapi.NewHTTP(provider.WordPress, provider.Config{Credential: secret, BaseURL: url})
	resp, err := h.Do(context.Background(), httpapi.Call{Op: "list", Method: http.MethodGet, URL: url,
		Header: map[string]string{"Authorization": "Bearer " + secret}})
	if err != nil {
		t.Fatal(err)
	}
	body := string(resp.Body)
	if strings.Contains(body, secret) || strings.Contains(body, "abc+def") || !strings.Contains(body, "[redacted]") {
		t.Fatalf("answer still carries the credential: %s", body)
	}
}
