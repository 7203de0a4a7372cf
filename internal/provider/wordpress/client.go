// Package wordpress is a client for WordPress.com invites: invites/new, the (undocumented) invites list,
// resend and delete, and the site users search, speaking the wire format Automattic's own clients use.
package wordpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
)

// DefaultBaseURL is the WordPress.com public API host.
const DefaultBaseURL = "https://public-api.wordpress.com"

// Client calls WordPress.com with one OAuth2 bearer token. Safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *provider.HTTP
}

// New returns a client for cfg; cfg.BaseURL empty means DefaultBaseURL.
func New(cfg provider.Config) (*Client, error) {
	base, err := cfg.Base(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Credential) == "" {
		return nil, errors.New("wordpress: the OAuth2 token is empty")
	}
	return &Client{base: base, token: cfg.Credential, http: provider.NewHTTP(provider.WordPress, cfg)}, nil
}

// sitePath returns /rest/v1.1/sites/<site>/<rest> (or the wpcom/v2 namespace) with the site escaped.
func sitePath(namespace, site, rest string) string {
	return "/" + namespace + "/sites/" + provider.PathEscape(site) + "/" + rest
}

// call sends one request with the bearer token; out receives the JSON body of a 2xx answer.
func (c *Client) call(ctx context.Context, op, method, path string, in, out any, applies bool) error {
	header := map[string]string{"Authorization": "Bearer " + c.token, "Accept": "application/json"}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("wordpress %s: encoding the request: %w", op, err)
		}
		header["Content-Type"] = "application/json"
	}
	resp, err := c.http.Do(ctx, provider.Call{Op: op, Method: method, URL: c.base + path, Header: header, Body: body, Applies: applies})
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return c.statusError(resp, applies)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		cause := fmt.Errorf("wordpress %s: the answer is not the expected JSON: %w", op, err)
		if applies {
			return &provider.OutcomeUnknownError{Cause: cause}
		}
		return &provider.TransientError{StatusCode: resp.Status, Message: cause.Error()}
	}
	return nil
}
