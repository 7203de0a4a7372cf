package providers_test

import (
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
)

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
	} {
		if _, err := providers.New(bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}
