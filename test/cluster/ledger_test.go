package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// snapshot is the sandbox's state (GET /_sandbox/state): every invite it holds and the ledger of every
// invitation email it "sent". The ledger is the oracle: it counts what a person would have received,
// whatever the operator's status says.
type snapshot struct {
	Invites []struct {
		ID    string `json:"id"`
		Site  string `json:"site"`
		Email string `json:"email"`
		State string `json:"state"`
	} `json:"invites"`
	Ledger []struct {
		Site  string `json:"site"`
		Email string `json:"email"`
		Kind  string `json:"kind"`
	} `json:"ledger"`
	Calls map[string]int `json:"calls"`
}

// ledger reads a sandbox's state; which is the env key of its state URL (SANDBOX_LEDGER_WP, ...).
func (c *cluster) ledger(t *testing.T, which string) snapshot {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(c.env[which])
	if err != nil {
		t.Fatalf("reading the sandbox ledger %s: %v", which, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reading the sandbox ledger %s: HTTP %d %v", which, resp.StatusCode, err)
	}
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("decoding the sandbox ledger %s: %v", which, err)
	}
	return s
}

// deliveries counts the emails of a kind ("invite" or "resend") each address received.
func (s snapshot) deliveries(kind string, emails []string) map[string]int {
	want := map[string]bool{}
	for _, e := range emails {
		want[e] = true
	}
	out := map[string]int{}
	for _, d := range s.Ledger {
		if d.Kind == kind && want[d.Email] {
			out[d.Email]++
		}
	}
	return out
}

// revoked lists the invites in state revoked.
func (s snapshot) revoked() []string {
	var out []string
	for _, inv := range s.Invites {
		if inv.State == "revoked" {
			out = append(out, inv.Site+" "+inv.Email)
		}
	}
	return out
}

// exactlyOnce fails unless every address received exactly one invitation email and no resend:
// 0 duplicates, 0 lost.
func exactlyOnce(t *testing.T, s snapshot, emails []string) {
	t.Helper()
	invites := s.deliveries("invite", emails)
	resends := s.deliveries("resend", emails)
	var wrong []string
	for _, e := range emails {
		if invites[e] != 1 || resends[e] != 0 {
			wrong = append(wrong, fmt.Sprintf("%s: %d invites, %d resends", e, invites[e], resends[e]))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("want exactly one invitation email per person: %v", wrong)
	}
}
