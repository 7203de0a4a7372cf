// Package providers builds a provider.Client for a provider type. It is the one place that knows every
// provider package; cmd/manager injects New into the reconcilers, tests inject fakes.
package providers

import (
	"fmt"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/ghost"
	"github.com/siteops/invitation-operator/internal/provider/wix"
	"github.com/siteops/invitation-operator/internal/provider/wordpress"
)

// New builds the client cfg.Type names.
func New(cfg provider.Config) (provider.Client, error) {
	switch cfg.Type {
	case provider.Wix:
		return wix.NewProvider(cfg)
	case provider.WordPress:
		return wordpress.NewProvider(cfg)
	case provider.Ghost:
		return ghost.NewProvider(cfg)
	}
	return nil, fmt.Errorf("unknown provider type %q", cfg.Type)
}
