// Package wordpress is a client for WordPress.com invites: invites/new, the (undocumented) invites list,
// resend and delete, and the site users search, speaking the wire format Automattic's own clients use.
package wordpress

import (
	"context"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// DefaultBaseURL is the WordPress.com public API host.
const DefaultBaseURL = "https://public-api.wordpress.com"

// Client calls WordPress.com with one OAuth2 bearer token. Safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *httpapi.HTTP
}

// New returns a client for cfg; cfg.BaseURL empty means DefaultBaseURL.
func New(cfg provider.Config) (*Client, error) {
	base, err := cfg.Endpoint(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &Client{base: base, token: cfg.Credential, http: httpapi.NewHTTP(provider.WordPress, cfg)}, nil
}

// sitePath returns /rest/v1.1/sites/<site>/<rest> (or the wpcom/v2 namespace) with the site escaped.
func sitePath(namespace, site, rest string) string {
	return "/" + namespace + "/sites/" + httpapi.PathEscape(site) + "/" + rest
}

// call sends one request with the bearer token; out receives the JSON body of a 2xx answer.
func (c *Client) call(ctx context.Context, op, method, path string, in, out any, applies bool) error {
	return c.send(ctx, httpapi.Call{Op: op, Method: method, URL: c.base + path, Applies: applies}, in, out)
}

// send sends call with the bearer token.
func (c *Client) send(ctx context.Context, call httpapi.Call, in, out any) error {
	call.Header = map[string]string{"Authorization": "Bearer " + c.token, "Accept": "application/json"}
	return c.http.JSON(ctx, call, in, out, func(r *httpapi.Response) error { return c.statusError(r, call.Applies) })
}
