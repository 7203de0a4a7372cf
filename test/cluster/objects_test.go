package cluster

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// condition is a status condition as kubectl prints it.
type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func conditionTrue(cs []condition, typ string) bool {
	for _, c := range cs {
		if c.Type == typ {
			return c.Status == "True"
		}
	}
	return false
}

// siteInvitation is the part of a SiteInvitation the scenarios read.
type siteInvitation struct {
	Metadata struct {
		Name       string   `json:"name"`
		Namespace  string   `json:"namespace"`
		Generation int64    `json:"generation"`
		Finalizers []string `json:"finalizers"`
	} `json:"metadata"`
	Status struct {
		ObservedGeneration int64       `json:"observedGeneration"`
		Conditions         []condition `json:"conditions"`
		Sent               []struct {
			Email    string `json:"email"`
			InviteID string `json:"inviteID"`
			State    string `json:"state"`
		} `json:"sent"`
		Failed []struct {
			Email   string `json:"email"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"failed"`
		InFlight *struct {
			ID     string   `json:"id"`
			Emails []string `json:"emails"`
		} `json:"inFlight"`
	} `json:"status"`
}

// ready: Ready=True for the current generation.
func (s *siteInvitation) ready() bool {
	return s.Status.ObservedGeneration == s.Metadata.Generation && conditionTrue(s.Status.Conditions, "Ready")
}

func (s *siteInvitation) sent(email string) bool {
	for _, e := range s.Status.Sent {
		if e.Email == email {
			return true
		}
	}
	return false
}

func (s *siteInvitation) describe() string {
	return fmt.Sprintf("%s/%s gen %d observed %d conditions %+v sent %d failed %+v inFlight %+v", s.Metadata.Namespace, s.Metadata.Name,
		s.Metadata.Generation, s.Status.ObservedGeneration, s.Status.Conditions, len(s.Status.Sent), s.Status.Failed, s.Status.InFlight)
}

func (c *cluster) siteInvitation(t *testing.T, ns, name string) *siteInvitation {
	t.Helper()
	s := &siteInvitation{}
	if !c.getJSON(t, s, "siteinvitation", "-n", ns, name) {
		return nil
	}
	return s
}

// waitReady waits until every named object ("kind/name", with -n ns when ns is set) reports Ready.
func (c *cluster) waitReady(t *testing.T, ns string, objects ...string) {
	t.Helper()
	const timeout = 2 * time.Minute
	for _, o := range objects {
		eventually(t, timeout, o+" to be Ready", func() (bool, string) {
			var obj struct {
				Metadata struct {
					Generation int64 `json:"generation"`
				} `json:"metadata"`
				Status struct {
					ObservedGeneration int64       `json:"observedGeneration"`
					Conditions         []condition `json:"conditions"`
				} `json:"status"`
			}
			args := []string{o}
			if ns != "" {
				args = append(args, "-n", ns)
			}
			if !c.getJSON(t, &obj, args...) {
				return false, "not found"
			}
			return obj.Status.ObservedGeneration == obj.Metadata.Generation && conditionTrue(obj.Status.Conditions, "Ready"),
				fmt.Sprintf("%+v", obj.Status)
		})
	}
}

// readySampler polls every SiteInvitation and provider once a second while an upgrade runs, recording any
// moment one of them was not Ready: "keeps every object Ready" means none, ever.
type readySampler struct {
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	lapses  []string
	samples int
}

func (c *cluster) sampleReadiness(t *testing.T) *readySampler {
	t.Helper()
	s := &readySampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			for _, kind := range []string{"siteinvitations", "invitationproviders", "clusterinvitationproviders"} {
				out, err := c.tryKubectl("get", kind, "-A", "-o",
					`jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
				s.mu.Lock()
				if err != nil {
					s.lapses = append(s.lapses, fmt.Sprintf("%s: %v", kind, err))
				}
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if line != "" && !strings.HasSuffix(line, " True") {
						s.lapses = append(s.lapses, fmt.Sprintf("%s %s at %s", kind, line, time.Now().Format(time.TimeOnly)))
					}
				}
				s.samples++
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// finish stops sampling and fails the test if any object was ever not Ready.
func (s *readySampler) finish(t *testing.T) {
	t.Helper()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lapses) > 0 {
		t.Errorf("objects were not Ready during the change (%d samples): %s", s.samples, strings.Join(s.lapses, "; "))
	}
	if s.samples == 0 {
		t.Error("no readiness samples were taken")
	}
}

// emails returns n addresses prefix-00@example.com ... for a scenario of its own.
func emails(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d@example.com", prefix, i)
	}
	return out
}

func yamlList(items []string) string { return "[" + strings.Join(items, ", ") + "]" }
