package sandbox

import (
	_ "embed"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Config seeds the fakes: the sites they know and the credentials they accept.
type Config struct {
	Wix struct {
		APIKeys []Credential `json:"apiKeys"`
		Sites   []Site       `json:"sites"`
	} `json:"wix"`
	WordPress struct {
		Tokens []Credential `json:"tokens"`
		Sites  []Site       `json:"sites"`
	} `json:"wordpress"`
	Ghost struct {
		Sites []GhostSite `json:"sites"`
	} `json:"ghost"`
}

//go:embed default.yaml
var defaultConfig []byte

// DefaultConfig is the seed `make demo` and the tests use (default.yaml).
func DefaultConfig() Config {
	c, err := ParseConfig(defaultConfig)
	if err != nil {
		panic(err)
	}
	return c
}

// ParseConfig reads a seed file and checks that every site has at least one role.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return c, fmt.Errorf("sandbox config: %w", err)
	}
	for _, s := range append(append([]Site{}, c.Wix.Sites...), c.WordPress.Sites...) {
		if s.ID == "" || len(s.Roles) == 0 {
			return c, fmt.Errorf("sandbox config: site %q needs an id and at least one role", s.ID)
		}
	}
	for _, s := range c.Ghost.Sites {
		if s.Title == "" || s.Owner.Email == "" || len(s.StaffKeys)+len(s.IntegrationKeys) == 0 {
			return c, fmt.Errorf("sandbox config: Ghost site %q needs a title, an owner and at least one key", s.Path)
		}
		for _, k := range append(append([]string{}, s.StaffKeys...), s.IntegrationKeys...) {
			if _, _, ok := parseGhostKey(k, false); !ok {
				return c, fmt.Errorf("sandbox config: Ghost site %q: a key is not <24-hex id>:<64-hex secret>", s.Path)
			}
		}
	}
	return c, nil
}
