// Package wix is a client for Wix Site Invites (bulk invite, resend, revoke) and the Contributors API
// (who accepted), speaking the wire format the official JavaScript SDK sends: raw API key in
// `authorization`, `wix-site-id` and `wix-account-id` headers, JSON bodies with the SDK's field order.
package wix

import (
	"context"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// DefaultBaseURL is Wix's REST gateway.
const DefaultBaseURL = "https://www.wixapis.com"

// Client calls the Wix REST API with one account-level API key. Safe for concurrent use.
type Client struct {
	base      string
	apiKey    string
	accountID string
	http      *httpapi.HTTP
}

// New returns a client for cfg; cfg.BaseURL empty means DefaultBaseURL.
func New(cfg provider.Config) (*Client, error) {
	base, err := cfg.Endpoint(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	h := httpapi.NewHTTP(provider.Wix, cfg)
	h.ContentTypeHeader = "content-type" // the SDK's spelling
	return &Client{base: base, apiKey: cfg.Credential, accountID: cfg.AccountID, http: h}, nil
}

// call sends one request with the SDK's headers. siteID is sent as wix-site-id when non-empty. out, when
// non-nil, receives the JSON body of a 2xx answer; any other status becomes a typed error.
func (c *Client) call(ctx context.Context, op, method, path, siteID string, in, out any, applies bool) error {
	header := map[string]string{"authorization": c.apiKey}
	if c.accountID != "" {
		header["wix-account-id"] = c.accountID
	}
	if siteID != "" {
		header["wix-site-id"] = siteID
	}
	call := httpapi.Call{Op: op, Method: method, URL: c.base + path, Header: header, Applies: applies}
	return c.http.JSON(ctx, call, in, out, func(r *httpapi.Response) error { return c.statusError(r, applies) })
}
