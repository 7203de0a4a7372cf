// Package ghost is a client for the invites of a Ghost site's Admin API (Ghost 5.x): create, list, read
// and delete invites, resolve role names, and look up staff users, signed with an Admin API key or a staff
// access token. Every behaviour it relies on was measured against a real Ghost 5.130.6
// (shared/reference/ghost.md, docs/providers.md).
//
// Unlike Wix and WordPress.com, a Ghost site's URL is also the API's address: the client connects to the
// site it is asked about, so it refuses sites its provider object does not pin.
package ghost

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// APIPath is where a Ghost site serves its Admin API.
const APIPath = "/ghost/api/admin"

// AcceptVersion is sent as Accept-Version: Ghost's own Admin API client sends the minor version it was
// written for; the answers this client reads are the same from 5.0 on.
const AcceptVersion = "v5.0"

// Client calls the Admin API of the sites one key may act on. Safe for concurrent use.
type Client struct {
	key   Key
	sites map[string]string // normalized site URL → API base
	http  *httpapi.HTTP
	now   func() time.Time
}

// New returns a client for cfg: cfg.Credential is the key ("<24-hex id>:<64-hex secret>"), cfg.Sites the
// site URLs it may call. cfg.BaseURL, when set, replaces the scheme and host of every site (a proxy, or the
// sandbox serving several sites on one port) and keeps the site's path; callers still name sites by URL.
func New(cfg provider.Config) (*Client, error) {
	key, err := ParseKey(cfg.Credential)
	if err != nil {
		return nil, err
	}
	if len(cfg.Sites) == 0 {
		return nil, fmt.Errorf("ghost: no sites: a Ghost provider pins the site URLs its key may be used for")
	}
	c := &Client{key: key, sites: map[string]string{}, http: httpapi.NewHTTP(provider.Ghost, cfg), now: time.Now}
	for _, s := range cfg.Sites {
		site, err := provider.NormalizeSite(s)
		if err != nil {
			return nil, err
		}
		base := site
		if cfg.BaseURL != "" {
			origin, err := cfg.Endpoint("")
			if err != nil {
				return nil, err
			}
			u, _ := url.Parse(site) // parsed by NormalizeSite
			base = strings.TrimRight(origin, "/") + u.Path
		}
		c.sites[site] = base + APIPath
	}
	return c, nil
}

// Sites returns the pinned site URLs, sorted.
func (c *Client) Sites() []string {
	out := make([]string, 0, len(c.sites))
	for s := range c.sites {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// base returns the API base of a pinned site, or a permanent error for any other: the site is also the
// address the signed token is sent to, so an unpinned site could aim the credential anywhere.
func (c *Client) base(site string) (string, error) {
	norm, err := provider.NormalizeSite(site)
	if err != nil {
		return "", &provider.PermanentError{Reason: provider.ReasonSiteNotFound, Message: err.Error()}
	}
	base, ok := c.sites[norm]
	if !ok {
		return "", &provider.PermanentError{Reason: provider.ReasonSiteNotFound,
			Message: fmt.Sprintf("site %s is not one of the sites this Ghost provider pins", norm)}
	}
	return base, nil
}

// request is one Admin API call.
type request struct {
	site, op, method, path string
	in, out                any
	// applies marks a call that creates something (httpapi.Call.Applies).
	applies bool
	// received, when set, counts the answer's bytes (a listing's).
	received *int64
	// classify, when set, gives an error answer a call-specific meaning before statusError does.
	classify func(resp *httpapi.Response, fallback error) error
}

// call sends one request, signed with a fresh token, and decodes a 2xx JSON answer into r.out (when set).
func (c *Client) call(ctx context.Context, r request) error {
	base, err := c.base(r.site)
	if err != nil {
		return err
	}
	token, err := c.key.Sign(c.now())
	if err != nil {
		return err
	}
	header := map[string]string{"Authorization": "Ghost " + token, "Accept-Version": AcceptVersion, "Accept": "application/json"}
	call := httpapi.Call{Op: r.op, Method: r.method, URL: base + r.path, Header: header, Applies: r.applies, Received: r.received}
	return c.http.JSON(ctx, call, r.in, r.out, func(resp *httpapi.Response) error {
		resp.Body = c.key.redact(resp.Body, token)
		err := c.statusError(resp, r.applies)
		if r.classify != nil {
			err = r.classify(resp, err)
		}
		return err
	})
}
