package cluster

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// metricsHTTPSWithRBAC: the metrics endpoint speaks HTTPS and lets in only what RBAC allows — a
// ServiceAccount token bound to the chart's metrics-reader ClusterRole gets 200 and the metrics, another
// ServiceAccount's token 403, no token 401. The request goes from the test, inside the node's network
// namespace, straight to the Pod address the metrics Service selects: no image with curl exists here, and
// the API server's service proxy would not pass the caller's token on.
func metricsHTTPSWithRBAC(t *testing.T, c *cluster) {
	ns := "metrics-test"
	c.namespace(t, ns, nil)
	c.kubectl(t, "create", "serviceaccount", "scraper", "-n", ns)
	c.kubectl(t, "create", "serviceaccount", "stranger", "-n", ns)
	c.kubectl(t, "create", "clusterrolebinding", "e2e-scraper", "--clusterrole", release+"-metrics-reader",
		"--serviceaccount", ns+":scraper")
	defer func() {
		_, _ = c.tryKubectl("delete", "clusterrolebinding", "e2e-scraper")
		_, _ = c.tryKubectl("delete", "namespace", ns, "--wait=false")
	}()
	scraper := strings.TrimSpace(c.kubectl(t, "create", "token", "scraper", "-n", ns, "--duration", "10m"))
	stranger := strings.TrimSpace(c.kubectl(t, "create", "token", "stranger", "-n", ns, "--duration", "10m"))

	var slices struct {
		Items []struct {
			Endpoints []struct {
				Addresses  []string `json:"addresses"`
				Conditions struct {
					Ready bool `json:"ready"`
				} `json:"conditions"`
			} `json:"endpoints"`
			Ports []struct {
				Port int `json:"port"`
			} `json:"ports"`
		} `json:"items"`
	}
	var url string
	eventually(t, time.Minute, "the metrics Service to select a ready Pod", func() (bool, string) {
		c.getJSON(t, &slices, "endpointslices", "-n", releaseNS, "-l", "kubernetes.io/service-name="+release+"-metrics")
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready && len(e.Addresses) > 0 && len(s.Ports) > 0 {
					url = fmt.Sprintf("https://%s:%d/metrics", e.Addresses[0], s.Ports[0].Port)
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("%+v", slices.Items)
	})

	// The manager serves a self-signed certificate unless one is mounted (the chart's ServiceMonitor skips
	// verification for the same reason); what is under test is authentication and authorization.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed by design, see above
	}}
	get := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(scraper); code != http.StatusOK || !strings.Contains(body, "controller_runtime_reconcile_total") {
		t.Errorf("metrics-reader token: HTTP %d, want 200 with the metrics:\n%.300s", code, body)
	}
	if code, _ := get(stranger); code != http.StatusForbidden {
		t.Errorf("a token without metrics-reader: HTTP %d, want 403", code)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: HTTP %d, want 401", code)
	}
}
