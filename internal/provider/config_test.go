package provider_test

import (
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
)

// TestEndpointRules: the one endpoint rule, on the parsed URL whatever its case.
func TestEndpointRules(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, base, want, err string
	}{
		{"default", "", "https://api.example.com", ""},
		{"loopback http", "http://127.0.0.1:9101/", "http://127.0.0.1:9101", ""},
		{"loopback http by name, any case", "HTTP://LocalHost:9101", "http://LocalHost:9101", ""},
		{"IPv6 loopback", "http://[::1]:8080", "http://[::1]:8080", ""},
		{"trailing slashes", "https://proxy.example.com/wix//", "https://proxy.example.com/wix", ""},
		{"plain http elsewhere", "http://10.0.0.1", "", "plain http is allowed only to a loopback address"},
		{"plain http in capitals elsewhere", "HTTP://10.0.0.1", "", "plain http is allowed only to a loopback address"},
		{"a name that merely starts with 127", "http://127.0.0.1.evil.example", "", "plain http is allowed only"},
		{"ftp", "ftp://example.com", "", "must be an absolute http(s) URL"},
		{"relative", "/relative", "", "must be an absolute http(s) URL"},
		{"no host", "https://", "", "must be an absolute http(s) URL"},
		{"user info", "https://user:pass@example.com", "", "may not contain user info"},
		{"query", "https://example.com/?x=1", "", "may not contain user info, a query"},
		{"fragment", "https://example.com/#x", "", "a fragment"},
	} {
		got, err := provider.Config{Type: provider.Wix, Credential: "k", BaseURL: c.base}.Endpoint("https://api.example.com")
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: Endpoint(%q) = %q, %v; want %q, %q", c.name, c.base, got, err, c.want, c.err)
		}
	}
	if _, err := (provider.Config{Type: provider.Wix, Credential: " "}).Endpoint("https://api.example.com"); err == nil {
		t.Error("an empty credential must be refused")
	}
}

func TestBatchAndLoopbackEndpoint(t *testing.T) {
	t.Parallel()
	if got := (provider.Config{}).Batch(5); got != 5 {
		t.Errorf("default batch: %d", got)
	}
	if got := (provider.Config{BatchSize: 50}).Batch(5); got != 50 {
		t.Errorf("batch override: %d", got)
	}
	for cfg, want := range map[*provider.Config]bool{
		{}:                                   false,
		{BaseURL: "https://api.example.com"}: false,
		{BaseURL: "http://127.0.0.1:9101"}:   true,
		{Sites: []string{"http://localhost:2368"}}:    true,
		{Sites: []string{"https://blog.example.com"}}: false,
	} {
		if got := cfg.LoopbackEndpoint(); got != want {
			t.Errorf("%+v: LoopbackEndpoint = %v, want %v", *cfg, got, want)
		}
	}
	if cidrs, err := provider.ParseCIDRs("10.0.0.0/8, fd00::/8,"); err != nil || len(cidrs) != 2 {
		t.Errorf("ParseCIDRs: %v %v", cidrs, err)
	}
	if _, err := provider.ParseCIDRs("10.0.0.0"); err == nil {
		t.Error("a bare address is not a range")
	}
}
