// Package httpapi is the HTTP machinery every provider client shares: the shared rate limiter, a timeout
// per request, bounded bodies, no redirects, one JSON call path, and the classification of transport
// failures and plain HTTP statuses into the provider package's typed errors. It is kept apart from
// package provider so that the pure code (the ledger) can use the provider types without importing I/O.
package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/version"
)

// MaxResponseBytes bounds how much of a provider's answer is read; a larger answer is treated as
// unreadable (for a send: outcome unknown).
const MaxResponseBytes = 4 << 20

// Call is one HTTP request to a provider.
type Call struct {
	// Op names the operation for metrics and errors ("invite", "list", ...).
	Op     string
	Method string
	URL    string
	// Header is sent as is: keys are not canonicalised, so clients can match a reference client's
	// spelling byte for byte (the Wix SDK sends lowercase names).
	Header map[string]string
	Body   []byte
	// Received, when set, is added the size of the answer's body: a listing's byte count.
	Received *int64
	// Applies is true when a lost answer may hide an applied, non-repeatable effect (a send, a resend):
	// failures after the request was written are then *provider.OutcomeUnknownError instead of transient.
	Applies bool
}

// Response is a provider's complete, bounded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// HTTP is the request machinery both provider clients share: rate limiting, a timeout per request,
// bounded bodies, no redirects, and the classification of transport failures.
type HTTP struct {
	Provider provider.Type
	Client   *http.Client
	Limiter  provider.Waiter
	Timeout  time.Duration
	Observer provider.RequestObserver
	// Now is the clock Retry-After dates are read against.
	Now func() time.Time
	// ContentTypeHeader is how JSON spells the Content-Type header name (the Wix SDK sends it lowercase).
	ContentTypeHeader string
	// Guard checks every address the client connects to; tests replace its resolver and dialer.
	Guard *Guard

	credential string
}

// NewHTTP returns the machinery for cfg. The http.Client never follows redirects: a redirect could carry
// the credential to another host, and an API that redirects a POST is misconfigured anyway.
func NewHTTP(t provider.Type, cfg provider.Config) *HTTP {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = provider.DefaultTimeout
	}
	guard := &Guard{Allowed: cfg.Network.AllowedCIDRs, Loopback: cfg.LoopbackEndpoint()}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = guard.DialContext
	return &HTTP{
		Provider: t,
		Client: &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Limiter:  cfg.Limiter,
		Timeout:  timeout,
		Observer: cfg.Observer,
		Now:      time.Now,
		Guard:    guard,

		ContentTypeHeader: "Content-Type",
		credential:        cfg.Credential,
	}
}

// Do sends c and returns the provider's answer whatever its status. The error is non-nil only when no
// complete answer arrived; it is then a *provider.TransientError (nothing can have been applied, or the call does
// not apply anything) or an *provider.OutcomeUnknownError (c.Applies and the request was written).
func (h *HTTP) Do(ctx context.Context, c Call) (*Response, error) {
	if h.Limiter != nil {
		start := time.Now()
		if err := h.Limiter.Wait(ctx); err != nil {
			return nil, &provider.TransientError{Message: "waiting for the rate limiter: " + err.Error()}
		}
		if h.Observer != nil {
			h.Observer.ObserveLimiterWait(h.Provider, time.Since(start))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()

	var wrote bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote = true },
	})
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, body)
	if err != nil {
		return nil, fmt.Errorf("%s: building the request: %w", c.Op, err)
	}
	for k, v := range c.Header {
		req.Header[k] = []string{v}
	}
	req.Header["User-Agent"] = []string{version.UserAgent()}

	start := time.Now()
	resp, err := h.Client.Do(req)
	if err != nil {
		h.observe(c.Op, 0, start)
		var refused *DialRefusedError
		if errors.As(err, &refused) {
			// Nothing left this process; the endpoint will not change by itself.
			return nil, &provider.PermanentError{Reason: provider.ReasonEndpointNotAllowed, Message: refused.Error()}
		}
		return nil, h.lost(c, wrote, transportCause(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode == http.StatusTooManyRequests {
		// The provider's real limit is below ours: the shared quota holds every caller until Retry-After
		// and slows down.
		if t, ok := h.Limiter.(interface{ Throttled(time.Duration) }); ok {
			t.Throttled(ParseRetryAfter(resp.Header.Get("Retry-After"), h.Now()))
		}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	h.observe(c.Op, resp.StatusCode, start)
	if c.Received != nil {
		*c.Received += int64(len(b))
	}
	b = redact(b, h.secrets(c))
	switch {
	case err != nil:
		return nil, h.lost(c, true, fmt.Errorf("reading the answer to %s (HTTP %d): %w", c.Op, resp.StatusCode, transportCause(err)))
	case len(b) > MaxResponseBytes:
		return nil, h.lost(c, true, fmt.Errorf("the answer to %s is larger than %d bytes", c.Op, MaxResponseBytes))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, &provider.TransientError{StatusCode: resp.StatusCode,
			Message: "the provider answered with a redirect, which is not followed; check the provider's baseURL"}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// JSON is the one call path of the JSON APIs: it encodes in (when not nil) as the body, sends c, decodes a
// 2xx answer into out (when not nil) and hands any other status to errorOf, the provider's reading of its
// error bodies. An answer that is not the expected JSON is an unknown outcome when c applies something (the
// request may have landed), otherwise a transient error.
func (h *HTTP) JSON(ctx context.Context, c Call, in, out any, errorOf func(*Response) error) error {
	if in != nil {
		body, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: encoding the request: %w", c.Op, err)
		}
		c.Body = body
		c.Header = maps.Clone(c.Header)
		if c.Header == nil {
			c.Header = map[string]string{}
		}
		c.Header[h.ContentTypeHeader] = "application/json"
	}
	resp, err := h.Do(ctx, c)
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return errorOf(resp)
	}
	if out == nil || resp.Status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		cause := fmt.Errorf("%s %s: the answer is not the expected JSON: %w", strings.ToLower(string(h.Provider)), c.Op, err)
		if c.Applies {
			return &provider.OutcomeUnknownError{Cause: cause}
		}
		return &provider.TransientError{StatusCode: resp.Status, Message: cause.Error()}
	}
	return nil
}

// secrets are what no answer may carry back into an error, a condition or a log: the credential and every
// value of the call's authorization header (Bearer token, signed JWT), as a whole and word by word.
func (h *HTTP) secrets(c Call) []string {
	out := []string{h.credential}
	for k, v := range c.Header {
		if strings.EqualFold(k, "authorization") {
			out = append(out, v)
			out = append(out, strings.Fields(v)...)
		}
	}
	return out
}

// redact replaces every secret in an answer, raw and in the escaped forms an echo can take (JSON's "\/",
// a query string's %2F), before any part of it becomes an error message. Short strings ("Bearer") are
// not secrets and are left alone.
func redact(b []byte, secrets []string) []byte {
	const minSecret = 8
	// Longest first: the whole header ("Bearer <token>") goes before the token inside it.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		for _, form := range []string{s, strings.ReplaceAll(s, "/", `\/`), url.QueryEscape(s)} {
			b = bytes.ReplaceAll(b, []byte(form), []byte("[redacted]"))
		}
	}
	return b
}

func (h *HTTP) observe(op string, code int, start time.Time) {
	if h.Observer != nil {
		h.Observer.ObserveRequest(h.Provider, op, code, time.Since(start))
	}
}

// lost classifies a call that got no complete answer.
func (h *HTTP) lost(c Call, wrote bool, cause error) error {
	if c.Applies && wrote {
		return &provider.OutcomeUnknownError{Cause: fmt.Errorf("%s: %w", c.Op, cause)}
	}
	return &provider.TransientError{Message: fmt.Sprintf("%s: %v", c.Op, cause)}
}

// transportCause drops the request URL from a transport error: URLs can hold an email (member search),
// and messages end up in logs and status.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// StatusError classifies a non-2xx answer that carries no more specific meaning. applies is Call.Applies:
// a 5xx other than 503 to a request that applies something may hide an applied effect.
func (h *HTTP) StatusError(r *Response, applies bool, code, message string) error {
	switch {
	case r.Status == http.StatusUnauthorized:
		return &provider.CredentialError{StatusCode: r.Status, Unauthenticated: true, Code: code, Message: message}
	case r.Status == http.StatusForbidden:
		return &provider.CredentialError{StatusCode: r.Status, Code: code, Message: message}
	case r.Status == http.StatusNotFound:
		return &provider.NotFoundError{What: "resource", Message: cmp.Or(message, code)}
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable:
		return &provider.TransientError{StatusCode: r.Status, RetryAfter: ParseRetryAfter(r.Header.Get("Retry-After"), h.Now()), Message: message}
	case r.Status >= 500 && applies:
		return &provider.OutcomeUnknownError{Cause: fmt.Errorf("HTTP %d: %s", r.Status, cmp.Or(message, http.StatusText(r.Status)))}
	case r.Status >= 500 || r.Status == http.StatusRequestTimeout:
		return &provider.TransientError{StatusCode: r.Status, RetryAfter: ParseRetryAfter(r.Header.Get("Retry-After"), h.Now()), Message: message}
	}
	return &provider.PermanentError{Reason: provider.ReasonRejected, Code: cmp.Or(code, strconv.Itoa(r.Status)), Message: message}
}

// MaxRetryAfter caps a provider's Retry-After, so a bogus header cannot park an object for days.
const MaxRetryAfter = time.Hour

// ParseRetryAfter reads a Retry-After header in either form RFC 9110 allows: delay-seconds or an
// HTTP-date. It returns zero for an absent or unreadable header and caps the delay at MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// PathEscape escapes one path segment (a site, an invite ID), so "../" or "?" in it cannot change the
// request's path or query.
func PathEscape(s string) string { return url.PathEscape(s) }
