// Package wix is a client for Wix Site Invites (bulk invite, resend, revoke) and the Contributors API
// (who accepted), speaking the wire format the official JavaScript SDK sends: raw API key in
// `authorization`, `wix-site-id` and `wix-account-id` headers, JSON bodies with the SDK's field order.
package wix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
)

// DefaultBaseURL is Wix's REST gateway.
const DefaultBaseURL = "https://www.wixapis.com"

// Client calls the Wix REST API with one account-level API key. Safe for concurrent use.
type Client struct {
	base      string
	apiKey    string
	accountID string
	http      *provider.HTTP
}

// New returns a client for cfg; cfg.BaseURL empty means DefaultBaseURL.
func New(cfg provider.Config) (*Client, error) {
	base, err := cfg.Base(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Credential) == "" {
		return nil, errors.New("wix: the API key is empty")
	}
	return &Client{
		base:      base,
		apiKey:    cfg.Credential,
		accountID: cfg.AccountID,
		http:      provider.NewHTTP(provider.Wix, cfg),
	}, nil
}

// call sends one request with the SDK's headers. siteID is sent as wix-site-id when non-empty. out, when
// non-nil, receives the JSON body of a 200 answer; any other status becomes a typed error.
func (c *Client) call(ctx context.Context, op, method, path, siteID string, in, out any, applies bool) error {
	header := map[string]string{"authorization": c.apiKey}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("wix %s: encoding the request: %w", op, err)
		}
		header["content-type"] = "application/json"
	}
	if c.accountID != "" {
		header["wix-account-id"] = c.accountID
	}
	if siteID != "" {
		header["wix-site-id"] = siteID
	}
	resp, err := c.http.Do(ctx, provider.Call{Op: op, Method: method, URL: c.base + path, Header: header, Body: body, Applies: applies})
	if err != nil {
		return err
	}
	if resp.Status != 200 {
		return c.statusError(resp, applies)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		cause := fmt.Errorf("wix %s: the answer is not the expected JSON: %w", op, err)
		if applies {
			return &provider.OutcomeUnknownError{Cause: cause}
		}
		return &provider.TransientError{StatusCode: resp.Status, Message: cause.Error()}
	}
	return nil
}
