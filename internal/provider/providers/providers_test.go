package providers_test

import (
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
)

// ghostKey has the shape of a Ghost Admin API key; it is no real key.
const ghostKey = "0123456789abcdef01234567:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNewBuildsEachProviderWithItsDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg          provider.Config
		wantBatch    int
		wantListable bool
	}{
		{provider.Config{Type: provider.Wix, Credential: "k"}, 5, false},
		{provider.Config{Type: provider.WordPress, Credential: "t"}, 20, true},
		{provider.Config{Type: provider.Wix, Credential: "k", BatchSize: 2}, 2, false},
		{provider.Config{Type: provider.Ghost, Credential: ghostKey, Sites: []string{"https://blog.example.com"}, StaffToken: true}, 1, true},
		{provider.Config{Type: provider.Ghost, Credential: ghostKey, Sites: []string{"https://blog.example.com"}, BatchSize: 5}, 1, false},
	}
	for _, tc := range cases {
		c, err := providers.New(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg.Type, err)
		}
		if caps := c.Capabilities(); caps.BatchSize != tc.wantBatch || caps.ListsPending != tc.wantListable {
			t.Errorf("%s: capabilities %+v", tc.cfg.Type, caps)
		}
	}
	for _, bad := range []provider.Config{
		{Type: "Squarespace", Credential: "x"},
		{Type: provider.Wix},
		{Type: provider.WordPress, Credential: "t", BaseURL: "ftp://x"},
		{Type: provider.Ghost, Credential: "not-a-key", Sites: []string{"https://blog.example.com"}},
		{Type: provider.Ghost, Credential: ghostKey},
		{Type: provider.Ghost, Credential: ghostKey, Sites: []string{"blog.example.com"}},
	} {
		if _, err := providers.New(bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}
