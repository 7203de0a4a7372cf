package ghost

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// APIError is one entry of a Ghost error body, {"errors":[{...}]}: every Ghost error has this shape.
type APIError struct {
	Message string `json:"message"`
	Context string `json:"context"`
	// Type is the error class (ValidationError, NotFoundError, NoPermissionError, UnauthorizedError,
	// BadRequestError, EmailError, NotImplementedError, ...).
	Type string `json:"type"`
	// Code is set for authentication failures (INVALID_JWT, UNKNOWN_ADMIN_API_KEY, ...).
	Code     string `json:"code"`
	Property string `json:"property"`
	ID       string `json:"id"`
}

func (e APIError) Error() string {
	s := e.Type
	if e.Code != "" {
		s += " " + e.Code
	}
	return fmt.Sprintf("%s: %s", s, e.text())
}

// text is the message with its context, which is where Ghost puts the mail server's complaint and the
// field a validation failed on.
func (e APIError) text() string {
	if e.Context != "" && !strings.Contains(e.Message, e.Context) {
		return provider.Truncate(e.Message+" ("+e.Context+")", 300)
	}
	return provider.Truncate(e.Message, 300)
}

// ParseAPIError reads the first error of a Ghost error body; it never fails (a body that is not Ghost's
// gives a zero APIError).
func ParseAPIError(body []byte) APIError {
	var b struct {
		Errors []APIError `json:"errors"`
	}
	if json.Unmarshal(body, &b) != nil || len(b.Errors) == 0 {
		return APIError{}
	}
	return b.Errors[0]
}

// Error types and codes Ghost answers with.
const (
	TypeValidation     = "ValidationError"
	TypeNotFound       = "NotFoundError"
	TypeNoPermission   = "NoPermissionError"
	TypeUnauthorized   = "UnauthorizedError"
	TypeBadRequest     = "BadRequestError"
	TypeEmail          = "EmailError"
	TypeNotImplemented = "NotImplementedError"
)

// statusError classifies a non-2xx answer that no call gives a more specific meaning.
func (c *Client) statusError(resp *httpapi.Response, applies bool) error {
	e := ParseAPIError(resp.Body)
	switch {
	case resp.Status == http.StatusUnauthorized:
		return &provider.CredentialError{StatusCode: resp.Status, Unauthenticated: true, Code: e.Code, Message: e.text()}
	case resp.Status == http.StatusBadRequest && strings.HasPrefix(e.Code, "INVALID_") || e.Code == "MISSING_ADMIN_API_KID":
		// A token Ghost cannot read: the key is not usable as it stands.
		return &provider.CredentialError{StatusCode: resp.Status, Unauthenticated: true, Code: e.Code, Message: e.text()}
	case e.Type == TypeEmail:
		return &provider.UndeliveredError{Code: e.Type, Message: e.text()}
	case resp.Status == http.StatusNotImplemented:
		return &provider.PermanentError{Reason: provider.ReasonRejected, Code: e.Type,
			Message: "Ghost serves this call to staff access tokens only, not to integration keys: " + e.text()}
	case resp.Status == http.StatusNotFound:
		return &provider.NotFoundError{What: "resource", Message: e.text()}
	}
	return c.http.StatusError(resp, applies, e.Type, e.text())
}

// inviteError classifies an error answer to POST /invites/: the per-invitee rejections Ghost gives as
// 422, 404 and 403, the mail failure as 500 EmailError; everything else as statusError.
func inviteError(resp *httpapi.Response, err error, role string) error {
	e := ParseAPIError(resp.Body)
	// Ghost puts a generic message ("Validation error, cannot save invite.") and the specific one in context.
	what := e.Message + " " + e.Context
	switch {
	case resp.Status == http.StatusUnprocessableEntity && strings.Contains(what, "already registered"):
		return &provider.PermanentError{Reason: provider.ReasonAlreadyMember, Code: e.Type, Message: e.text()}
	case resp.Status == http.StatusUnprocessableEntity && strings.Contains(what, "isEmail"):
		return &provider.PermanentError{Reason: provider.ReasonInvalidEmail, Code: e.Type, Message: e.text()}
	case resp.Status == http.StatusUnprocessableEntity:
		return &provider.PermanentError{Reason: provider.ReasonRejected, Code: e.Type, Message: e.text()}
	case resp.Status == http.StatusNotFound && e.Type == TypeNotFound:
		return &provider.PermanentError{Reason: provider.ReasonUnknownRole, Code: e.Type, Message: e.text()}
	case resp.Status == http.StatusForbidden && e.Type == TypeNoPermission && role != "" && !strings.Contains(what, "Authorization failed"):
		// The key authenticated (a bad one is 401) but may not invite with this role: an integration key
		// and Administrator ("You do not have permission to add invites", though roles?permissions=assign
		// lists Administrator), an Editor's token and Editor. Other roles work, so it is about the
		// request, not the credential.
		return &provider.PermanentError{Reason: provider.ReasonRoleNotAllowed, Code: e.Type,
			Message: fmt.Sprintf("this key may not invite people as %s (integration keys may invite Editor, Author, Contributor "+
				"and Super Editor; an Editor's staff token only Author and Contributor): %s", role, e.text())}
	}
	return err
}
