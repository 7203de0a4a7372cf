package provider_test

import (
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
)

func TestConfigBaseAndBatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		base, want, err string
	}{
		{"", "https://api.example.com", ""},
		{"http://127.0.0.1:9101/", "http://127.0.0.1:9101", ""},
		{"https://proxy.example.com/wix//", "https://proxy.example.com/wix", ""},
		{"ftp://example.com", "", "wix: base URL must be an absolute http(s) URL"},
		{"/relative", "", "wix: base URL must be an absolute http(s) URL"},
		{"https://", "", "wix: base URL must be an absolute http(s) URL"},
	} {
		got, err := provider.Config{Type: provider.Wix, Credential: "k", BaseURL: c.base}.Endpoint("https://api.example.com")
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("Endpoint(%q) = %q, %v; want %q, %q", c.base, got, err, c.want, c.err)
		}
	}
	if _, err := (provider.Config{Type: provider.Wix, Credential: " "}).Endpoint("https://api.example.com"); err == nil {
		t.Error("an empty credential must be refused")
	}
	if got := (provider.Config{}).Batch(5); got != 5 {
		t.Errorf("default batch: %d", got)
	}
	if got := (provider.Config{BatchSize: 50}).Batch(5); got != 50 {
		t.Errorf("batch override: %d", got)
	}
}
