package controller

import (
	"strings"
	"testing"
	"unicode/utf8"

	"k8s.io/client-go/tools/events"
)

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"ada@example.com": "a***@example.com", "x": "***", "@x.io": "***"} {
		if got := maskEmail(in); got != want {
			t.Errorf("maskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	if got := maskList([]string{"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io", "g@x.io"}); got != "a***@x.io, b***@x.io, c***@x.io, d***@x.io, e***@x.io, and 2 more" {
		t.Errorf("maskList = %q", got)
	}
}

// TestEventNotesFitTheEventsAPI: a note past the API's limit is cut on a character boundary, not dropped.
func TestEventNotesFitTheEventsAPI(t *testing.T) {
	t.Parallel()
	fake := events.NewFakeRecorder(1)
	boundedRecorder{fake}.Eventf(nil, nil, "Warning", "X", "Send", "%s", strings.Repeat("é", 2000))
	got := <-fake.Events
	note := got[strings.Index(got, "é"):]
	if len(note) > maxEventNote || !utf8.ValidString(note) {
		t.Fatalf("note of %d bytes, valid UTF-8 %v", len(note), utf8.ValidString(note))
	}
}
