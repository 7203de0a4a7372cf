// Package version holds the operator's version, stamped at build time with
// -ldflags "-X github.com/siteops/invitation-operator/internal/version.Version=v0.1.0".
package version

// Version is the operator's release; the provider clients send it in their User-Agent.
var Version = "dev"

// UserAgent is the User-Agent header every provider request carries.
func UserAgent() string { return "invitation-operator/" + Version }
