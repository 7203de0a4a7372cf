package controller

import "testing"

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
