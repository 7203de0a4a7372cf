package wordpress

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// APIError is a WordPress.com error body: {"error", "message"} in rest/v1.1, {"code", "message",
// "data": {"status"}} in wpcom/v2. Both are read into one shape.
type APIError struct {
	Code    string `json:"code"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// ParseAPIError reads an error body of either namespace; it never fails.
func ParseAPIError(body []byte) (code, message string) {
	var e APIError
	_ = json.Unmarshal(body, &e)
	if e.Error != "" {
		return e.Error, e.Message
	}
	return e.Code, e.Message
}

// Codes WordPress.com uses for a token it does not accept, whatever the HTTP status.
var unauthenticatedCodes = map[string]bool{"invalid_token": true, "authorization_required": true, "unauthorized_token": true}

func (c *Client) statusError(resp *httpapi.Response, applies bool) error {
	code, msg := ParseAPIError(resp.Body)
	switch {
	case unauthenticatedCodes[code]:
		return &provider.CredentialError{StatusCode: resp.Status, Unauthenticated: true, Code: code, Message: msg}
	case code == "unknown_blog":
		return &provider.PermanentError{Reason: provider.ReasonSiteNotFound, Code: code, Message: msg}
	case resp.Status == http.StatusBadRequest && strings.Contains(msg, "not a valid role"):
		return &provider.PermanentError{Reason: provider.ReasonUnknownRole, Code: code, Message: msg}
	}
	return c.http.StatusError(resp, applies, code, msg)
}

// inviteeError classifies one value of invites/new's "errors" map. Two shapes exist in Automattic's own
// clients: flat {"code", "message"} (the mobile apps) and a serialized WP_Error {"errors": {code:
// [messages]}, "error_data"} (a Calypso fixture); both are read.
func inviteeError(raw json.RawMessage) *provider.PermanentError {
	var flat struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
	}
	_ = json.Unmarshal(raw, &flat)
	code, msg := flat.Code, flat.Message
	if code == "" {
		for c, msgs := range flat.Errors {
			if code == "" || c < code { // deterministic when there are several
				code = c
				msg = strings.Join(msgs, " ")
			}
		}
	}
	return &provider.PermanentError{Reason: inviteeReason(code, msg), Code: code, Message: provider.Truncate(msg, 200)}
}

func inviteeReason(code, msg string) string {
	lower := strings.ToLower(msg)
	switch {
	case code == "invalid_input_has_role", code == "invalid_input_following",
		strings.Contains(lower, "already has a role"), strings.Contains(lower, "already a member"):
		return provider.ReasonAlreadyMember
	case code == "invalid_user_blocked_invites":
		return provider.ReasonBlocked
	case strings.Contains(lower, "not a valid role"), strings.Contains(lower, "invalid role"):
		return provider.ReasonUnknownRole
	case code == "invalid_input" && (strings.Contains(lower, "email") || strings.Contains(lower, "user not found")):
		return provider.ReasonInvalidEmail
	}
	return provider.ReasonRejected
}
