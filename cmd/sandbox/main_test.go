package main

import "testing"

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{"127.0.0.1:9100": true, "[::1]:80": true, "localhost:1": true,
		"0.0.0.0:9100": false, ":9100": false, "10.0.0.1:80": false, "example.com:80": false} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
