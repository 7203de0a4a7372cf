package ghostenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// Owner is the site's first user, created by Bootstrap.
type Owner struct {
	Name, Email, Password string
}

// Site is what a test needs to drive a bootstrapped Ghost through its Admin API.
type Site struct {
	URL   string
	Title string
	Owner Owner
	// IntegrationKey is a custom integration's Admin API key, "<id>:<secret>" as Ghost's admin screen shows it.
	IntegrationKey string
	// StaffKey is the owner's staff access token, its id and secret joined by ':'.
	StaffKey string
	// IntegrationName is the custom integration's name.
	IntegrationName string
}

// Bootstrap makes a fresh Ghost usable: the owner (POST authentication/setup/), a session for that
// owner (POST session/, with the Origin header Ghost's CSRF check wants), a custom integration with an
// Admin API key (POST integrations/) and the owner's staff access token (GET users/me/token/).
func Bootstrap(ctx context.Context, siteURL, title string, owner Owner) (*Site, error) {
	jar, _ := cookiejar.New(nil)
	a := &admin{base: siteURL + "/ghost/api/admin", origin: siteURL, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	setup := map[string]any{"setup": []map[string]string{{"name": owner.Name, "email": owner.Email, "password": owner.Password, "blogTitle": title}}}
	if err := a.do(ctx, http.MethodPost, "/authentication/setup/", setup, nil); err != nil {
		return nil, fmt.Errorf("ghostenv: creating the owner: %w", err)
	}
	if err := a.do(ctx, http.MethodPost, "/session/", map[string]string{"username": owner.Email, "password": owner.Password}, nil); err != nil {
		return nil, fmt.Errorf("ghostenv: logging in: %w", err)
	}
	site := &Site{URL: siteURL, Title: title, Owner: owner, IntegrationName: "invitation-operator"}
	var integ struct {
		Integrations []struct {
			APIKeys []struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Secret string `json:"secret"`
			} `json:"api_keys"`
		} `json:"integrations"`
	}
	in := map[string]any{"integrations": []map[string]string{{"name": site.IntegrationName}}}
	if err := a.do(ctx, http.MethodPost, "/integrations/?include=api_keys", in, &integ); err != nil {
		return nil, fmt.Errorf("ghostenv: creating the integration: %w", err)
	}
	for _, i := range integ.Integrations {
		for _, k := range i.APIKeys {
			// Ghost's integrations answer already joins the admin key as "<id>:<secret>" in secret
			// (what its admin screen shows); the content key is a plain secret.
			if k.Type == "admin" {
				site.IntegrationKey = k.Secret
				if !strings.Contains(k.Secret, ":") {
					site.IntegrationKey = k.ID + ":" + k.Secret
				}
			}
		}
	}
	if site.IntegrationKey == "" {
		return nil, fmt.Errorf("ghostenv: the new integration has no admin API key")
	}
	var tok struct {
		APIKey struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		} `json:"apiKey"`
	}
	if err := a.do(ctx, http.MethodGet, "/users/me/token/", nil, &tok); err != nil {
		return nil, fmt.Errorf("ghostenv: reading the staff access token: %w", err)
	}
	if tok.APIKey.ID == "" || tok.APIKey.Secret == "" {
		return nil, fmt.Errorf("ghostenv: users/me/token/ returned no id and secret")
	}
	site.StaffKey = tok.APIKey.ID + ":" + tok.APIKey.Secret
	return site, nil
}

// admin is a session-cookie client of the Admin API, for bootstrapping only.
type admin struct {
	base, origin string
	http         *http.Client
}

func (a *admin) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Origin", a.origin)
	req.Header.Set("Accept-Version", "v5.0")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
