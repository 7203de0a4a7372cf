// Command sandbox serves fake Wix, WordPress.com and Ghost APIs on loopback ports, seeded from a small YAML file,
// with a page that lists every invite they received and lets you accept, expire or revoke each one. `make demo` runs it; so can you:
//
//	go run ./cmd/sandbox --fault-rate 0.1
//	go run ./cmd/sandbox --wix-rate-limit 50 --wordpress-rate-limit 30   # the providers' own quotas
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	configPath := fs.String("config", "", "Seed YAML (sites, roles, members, credentials); default: the built-in demo seed.")
	wixAddr := fs.String("wix-addr", "127.0.0.1:9101", "Loopback address of the fake Wix API.")
	wpAddr := fs.String("wordpress-addr", "127.0.0.1:9102", "Loopback address of the fake WordPress.com API.")
	ghostAddr := fs.String("ghost-addr", "127.0.0.1:9103", "Loopback address of the fake Ghost sites (site URLs: this address plus each site's path).")
	pageAddr := fs.String("page-addr", "127.0.0.1:9100", "Loopback address of the page listing every fake's invites.")
	latency := fs.Duration("latency", 0, "Delay added to every answer, e.g. 20ms.")
	faultRate := fs.Float64("fault-rate", 0, "Chance (0..1) that a request gets an injected fault.")
	faultKinds := fs.String("fault-kinds", "5xx,429,drop", "Faults to inject: 5xx, 429, drop (accept-then-drop).")
	retryAfter := fs.Int("retry-after", 1, "Retry-After seconds of injected 429s.")
	seed := fs.Uint64("seed", 1, "Seed of the random fault schedule.")
	ttl := fs.Duration("invite-ttl", 0, "How long an invite stays valid after it is sent or resent, e.g. 2m to watch invites expire "+
		"(default: Wix 30 days, Ghost 7 days, WordPress.com never).")
	wixLimit := fs.Int("wix-rate-limit", 0, "Wix's own quota: requests per minute per API key, answered beyond with 429 and Retry-After (0: none).")
	wpLimit := fs.Int("wordpress-rate-limit", 0, "WordPress.com's own quota: requests per minute per token, answered beyond with 429 and Retry-After (0: none).")
	burst := fs.Int("rate-limit-burst", 5, "Requests a credential may make at once under --wix-rate-limit and --wordpress-rate-limit.")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg := sandbox.DefaultConfig()
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			return err
		}
		if cfg, err = sandbox.ParseConfig(b); err != nil {
			return err
		}
	}
	wix := sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys, Latency: *latency, InviteTTL: *ttl,
		RateLimit: sandbox.RateLimit{RequestsPerMinute: *wixLimit, Burst: *burst}})
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens, Latency: *latency, InviteTTL: *ttl,
		RateLimit: sandbox.RateLimit{RequestsPerMinute: *wpLimit, Burst: *burst}})
	gh := sandbox.NewGhost(sandbox.GhostOptions{Sites: cfg.Ghost.Sites, Latency: *latency, InviteTTL: *ttl})
	if *faultRate > 0 {
		for i, f := range []*sandbox.Faults{wix.Faults(), wp.Faults(), gh.Faults()} {
			f.SetRandom(&sandbox.RandomFaults{Rate: *faultRate, Kinds: strings.Split(*faultKinds, ","), RetryAfter: *retryAfter,
				Seed: *seed + uint64(i)})
		}
	}
	// The page lists every fake's invites, with buttons to accept, expire or revoke each one.
	page := sandbox.NewPage(wix, wp, gh)

	servers := map[string]http.Handler{*wixAddr: wix, *wpAddr: wp, *ghostAddr: gh, *pageAddr: page}
	listeners := map[string]net.Listener{}
	for addr := range servers {
		if err := loopbackOnly(addr); err != nil {
			return err
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listening on %s (is another sandbox or demo running?): %w", addr, err)
		}
		listeners[addr] = l
	}
	fmt.Printf("sandbox Wix API:           http://%s\n", listeners[*wixAddr].Addr())
	fmt.Printf("sandbox WordPress.com API: http://%s\n", listeners[*wpAddr].Addr())
	for _, site := range cfg.Ghost.Sites {
		fmt.Printf("sandbox Ghost site:        http://%s%s (%s)\n", listeners[*ghostAddr].Addr(), site.Path, site.Title)
	}
	fmt.Printf("sandbox page:              http://%s/\n", listeners[*pageAddr].Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errs := make(chan error, len(servers))
	var running []*http.Server
	for addr, h := range servers {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		running = append(running, srv)
		go func(l net.Listener) { errs <- srv.Serve(l) }(listeners[addr])
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range running {
		_ = srv.Shutdown(shutdown)
	}
	return nil
}

// loopbackOnly refuses to serve fakes (with their well-known sandbox secrets) beyond this machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address; the sandbox serves loopback only", addr)
	}
	return nil
}
