package controller_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// recordingRegisterer remembers every collector the controllers register, so a test can ask each for
// the series it describes, observed yet or not.
type recordingRegisterer struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registry.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var descRE = regexp.MustCompile(`^Desc\{fqName: "([^"]+)", .*variableLabels: \{([^}]*)\}\}$`)

// exportedMetrics runs a manager like cmd/manager does (the per-object gauge on), lets one
// SiteInvitation become Ready, and returns every metric name it exports with its labels: the operator's
// from their descriptors, controller-runtime's from its registry.
func exportedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	reg := &recordingRegisterer{Registry: prometheus.NewRegistry()}
	w := newWorld(t)
	w.start(managerOptions{registerer: reg, perObjectConditions: true})
	w.inviteAndWait("metrics", invv1.ProviderWordPress, "ada@example.com")

	out := map[string][]string{}
	for _, c := range reg.collectors {
		ch := make(chan *prometheus.Desc, 32)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := descRE.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read descriptor %s", d)
			}
			out[m[1]] = strings.Split(m[2], ",")
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	gathered := map[string]bool{}
	for _, f := range families {
		gathered[f.GetName()] = true
	}
	for _, name := range []string{"invitation_operator_people", "invitation_operator_siteinvitations_by_condition", "invitation_operator_siteinvitation_condition"} {
		if !gathered[name] {
			t.Errorf("%s is not reported once an object is Ready: is the fleet collector registered in Setup?", name)
		}
	}
	families, err = ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if _, ours := out[f.GetName()]; ours {
			continue
		}
		var names []string
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(names, l.GetName()) {
					names = append(names, l.GetName())
				}
			}
		}
		out[f.GetName()] = names
	}
	return out
}

// expression is one PromQL expression shipped to users, and where it is.
type expression struct{ where, expr string }

func alertExpressions(t *testing.T) []expression {
	t.Helper()
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(repoFile(t, "config/prometheus-rules/prometheusrule.yaml"), &rule); err != nil {
		t.Fatal(err)
	}
	var out []expression
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			out = append(out, expression{"alert " + r.Alert, r.Expr})
		}
	}
	if len(out) < 5 {
		t.Fatalf("want at least five alerts, got %d", len(out))
	}
	return out
}

// grafanaVariables are replaced by a value of their kind before parsing, as Grafana does.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

var labelValuesRE = regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`)

func dashboardExpressions(t *testing.T) []expression {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(repoFile(t, "config/grafana/dashboard.json"), &dash); err != nil {
		t.Fatal(err)
	}
	var out []expression
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			out = append(out, expression{"panel " + p.Title, grafanaVariables.Replace(tg.Expr)})
		}
	}
	for _, v := range dash.Templating.List {
		q, ok := v.Query.(map[string]any)
		if !ok {
			continue // the data source variable
		}
		m := labelValuesRE.FindStringSubmatch(fmt.Sprint(q["query"]))
		if m == nil {
			t.Fatalf("variable %s: query %v is not label_values(metric, label)", v.Name, q["query"])
		}
		out = append(out, expression{"variable " + v.Name, m[1] + `{` + m[2] + `!=""}`})
	}
	if len(out) < 10 {
		t.Fatalf("want the dashboard's panels, got %d expressions", len(out))
	}
	return out
}

func repoFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// histogramSeries maps a histogram's series names to the metric that exports them.
func metricOf(name string, exported map[string][]string) (string, bool) {
	if _, ok := exported[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, cut := strings.CutSuffix(name, suffix); cut {
			if _, ok := exported[base]; ok {
				return base, true
			}
		}
	}
	return "", false
}

// TestAlertsAndDashboardUseOnlyExportedMetrics parses every alert and dashboard expression with
// Prometheus' own parser and checks that each metric it selects is one the manager exports, with the
// labels it matches on: a renamed metric or a mistyped label fails here, not silently in production.
func TestAlertsAndDashboardUseOnlyExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	for _, e := range append(alertExpressions(t), dashboardExpressions(t)...) {
		t.Run(e.where, func(t *testing.T) {
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(e.expr)
			if err != nil {
				t.Fatalf("%s: %v", e.expr, err)
			}
			selectors := 0
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				selectors++
				name := vs.Name
				for _, m := range vs.LabelMatchers {
					if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
						name = m.Value
					}
				}
				metric, ok := metricOf(name, exported)
				if !ok {
					t.Errorf("%s selects %q, which the manager does not export", e.where, name)
					return nil
				}
				for _, m := range vs.LabelMatchers {
					if m.Name != model.MetricNameLabel && m.Name != "le" && !slices.Contains(exported[metric], m.Name) {
						t.Errorf("%s matches label %q, which %s does not have (it has %v)", e.where, m.Name, metric, exported[metric])
					}
				}
				return nil
			})
			if selectors == 0 {
				t.Errorf("%s selects no metric: %s", e.where, e.expr)
			}
		})
	}
}
