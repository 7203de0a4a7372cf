package wix

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// APIError is Wix's error body: {"message", "details": {"applicationError"|"validationError"}}. System
// errors (5xx) are empty by design, and a non-JSON body is tolerated.
type APIError struct {
	Message string `json:"message"`
	Details struct {
		ApplicationError *struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"applicationError,omitempty"`
		ValidationError *struct {
			FieldViolations []struct {
				Field        string `json:"field"`
				Description  string `json:"description"`
				ViolatedRule string `json:"violatedRule"`
			} `json:"fieldViolations"`
		} `json:"validationError,omitempty"`
	} `json:"details"`
}

// ParseAPIError reads an error body; it never fails (an unreadable body gives an empty APIError).
func ParseAPIError(body []byte) APIError {
	var e APIError
	_ = json.Unmarshal(body, &e)
	return e
}

// code is the application error code, or the first violated rule.
func (e APIError) code() string {
	if a := e.Details.ApplicationError; a != nil {
		return a.Code
	}
	if v := e.Details.ValidationError; v != nil && len(v.FieldViolations) > 0 {
		return v.FieldViolations[0].ViolatedRule
	}
	return ""
}

// text is the human-readable part: the message, or the application error's description, or the field
// violations.
func (e APIError) text() string {
	var parts []string
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if a := e.Details.ApplicationError; a != nil && a.Description != "" && a.Description != e.Message {
		parts = append(parts, a.Description)
	}
	if v := e.Details.ValidationError; v != nil {
		for _, f := range v.FieldViolations {
			parts = append(parts, f.Field+": "+f.Description)
		}
	}
	return strings.Join(parts, "; ")
}

// violates reports whether a validation error names field (e.g. "policyIds").
func (e APIError) violates(field string) bool {
	if v := e.Details.ValidationError; v != nil {
		for _, f := range v.FieldViolations {
			if strings.HasPrefix(f.Field, field) {
				return true
			}
		}
	}
	return false
}

func (c *Client) statusError(resp *httpapi.Response, applies bool) error {
	e := ParseAPIError(resp.Body)
	code, text := e.code(), e.text()
	if rid := resp.Header.Get("x-wix-request-id"); rid != "" {
		text = strings.TrimSpace(text + " (request " + rid + ")")
	}
	switch {
	case resp.Status == http.StatusBadRequest && e.violates("policyIds"):
		return &provider.PermanentError{Reason: provider.ReasonUnknownRole, Code: code, Message: text}
	case resp.Status == http.StatusBadRequest && e.violates("emails"):
		return &provider.PermanentError{Reason: provider.ReasonInvalidEmail, Code: code, Message: text}
	case resp.Status == http.StatusPreconditionRequired:
		// FAILED_PRECONDITION: the invite is no longer pending (accepted, revoked, expired).
		return &provider.NotFoundError{What: "pending invite", Message: text}
	case resp.Status == http.StatusConflict:
		return &provider.PermanentError{Reason: provider.ReasonAlreadyMember, Code: code, Message: text}
	case code == "UNAUTHENTICATED":
		return &provider.CredentialError{StatusCode: resp.Status, Unauthenticated: true, Code: code, Message: text}
	case code == "PERMISSION_DENIED":
		return &provider.CredentialError{StatusCode: resp.Status, Code: code, Message: text}
	}
	return c.http.StatusError(resp, applies, code, text)
}
