# invitation-operator — run `make help` for the targets.

# The image. IMAGE_REPO is where the release workflow publishes it; the chart (image.repository) and
# config/manager (images.newName) repeat it, and the chart's appVersion is the tag they default to (equal
# to config/manager's newTag); test/install checks all of them agree, and the workflow refuses a release
# tag that differs from appVersion. VERSION (git describe: the tag on a release commit) is stamped into
# the binary and the image's labels; REVISION is the commit.
IMAGE_REPO ?= ghcr.io/siteops/invitation-operator
IMAGE_SOURCE ?= https://github.com/siteops/invitation-operator
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
IMG ?= $(IMAGE_REPO):$(VERSION)

# Tools are installed into ./bin at pinned versions.
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p $(LOCALBIN)

CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
HELM_VERSION ?= v4.3.1
ACTIONLINT_VERSION ?= v1.7.12

CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
ACTIONLINT ?= $(LOCALBIN)/actionlint-$(ACTIONLINT_VERSION)

# Tests run with the race detector and never from the cache (some read YAML through kubectl and helm,
# which the Go test cache cannot see); for a quick local run: make test GO_TEST_FLAGS=
GO_TEST_FLAGS ?= -race -count=1
GO_TEST_PKGS ?= ./...

# Setting SHELL to bash allows bash commands to be executed by recipes.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC from the kubebuilder markers (also into the Helm chart).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases
	rm -f charts/invitation-operator/files/crds/*.yaml
	cp config/crd/bases/*.yaml charts/invitation-operator/files/crds/
	cp config/rbac/role.yaml charts/invitation-operator/files/role.yaml
	cp config/rbac/aggregate_roles.yaml charts/invitation-operator/files/aggregate_roles.yaml
	cp config/prometheus-rules/prometheusrule.yaml charts/invitation-operator/files/prometheusrule.yaml
	cp config/grafana/dashboard.json charts/invitation-operator/files/dashboard.json

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods from the kubebuilder markers, and docs/troubleshooting.md's tables from internal/reasons.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."
	go run ./hack/gendocs docs/troubleshooting.md

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint actionlint ## Run golangci-lint (config in .golangci.yml) and actionlint on .github/workflows.
	$(GOLANGCI_LINT) run
	$(ACTIONLINT)

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix

.PHONY: controlplane
controlplane: ## Build kube-apiserver and etcd from pinned Go modules into bin/k8s (cached).
	@hack/controlplane.sh >/dev/null

.PHONY: test
test: manifests generate fmt vet controlplane helm runc ## Run all tests (race detector on) against a real API server.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" HELM="$(HELM)" go test $(GO_TEST_FLAGS) $(GO_TEST_PKGS)
	cd hack/image && go test -count=1 ./...

# Chromium comes from the Debian packages (no browser build can be downloaded here); installed once.
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test-browser
test-browser: controlplane ## Click the sandbox page in headless Chromium (installs Debian's chromium when missing) and check the SiteInvitation follows.
	@command -v chromium >/dev/null 2>&1 || { echo "Installing chromium from the Debian packages (once)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" CHROMIUM="$$(command -v chromium)" go test -count=1 -v -timeout 10m ./test/browser

.PHONY: verify
verify: manifests generate ## Fail if generated code, manifests or go.mod are stale.
	go mod tidy
	@if [ -n "$$(git status --porcelain -- . ':!bin')" ]; then \
		echo "Generated files or go.mod are out of date; run 'make manifests generate' and 'go mod tidy', then commit:"; \
		git status --porcelain -- . ':!bin'; git --no-pager diff --stat; exit 1; \
	fi

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary into bin/manager.
	go build -trimpath -o $(LOCALBIN)/manager ./cmd/manager

.PHONY: image
image: ## Build the manager image for linux/amd64 and linux/arm64 without a container engine: bin/image/oci and bin/image/image.tar.
	IMAGE_REPO="$(IMAGE_REPO)" VERSION="$(VERSION)" REVISION="$(REVISION)" IMAGE_SOURCE="$(IMAGE_SOURCE)" hack/image.sh

.PHONY: build-installer
build-installer: manifests ## Write dist/install.yaml: CRDs, RBAC and the manager (kubectl kustomize config/default).
	mkdir -p dist
	kubectl kustomize config/default > dist/install.yaml

.PHONY: run
run: manifests generate fmt vet ## Run the manager from your host against the cluster in your kubeconfig.
	go run ./cmd/manager

##@ Dependencies

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into ./bin.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into ./bin.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: helm
helm: $(HELM) ## Install helm into ./bin.
$(HELM): $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v4/cmd/helm,$(HELM_VERSION))

.PHONY: actionlint
actionlint: $(ACTIONLINT) ## Install actionlint into ./bin.
$(ACTIONLINT): $(LOCALBIN)
	$(call go-install-tool,$(ACTIONLINT),github.com/rhysd/actionlint/cmd/actionlint,$(ACTIONLINT_VERSION))

.PHONY: runc
runc: ## Install runc from Debian if missing (test/image runs the image with it; needs root).
	@hack/debian-packages.sh runc

# For scripts and the release workflow: the values above, without make's chatter (make -s print-...).
.PHONY: print-image print-image-repo print-image-source print-helm
print-image: ; @echo $(IMG)
print-image-repo: ; @echo $(IMAGE_REPO)
print-image-source: ; @echo $(IMAGE_SOURCE)
print-helm: ; @echo $(HELM)

# go-install-tool installs package $(2) at version $(3) as the binary $(1), named with its version so that a
# version bump in this file installs the new one.
define go-install-tool
@[ -f "$(1)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Installing $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)" | sed 's/-$(3)$$//')" "$(1)" ;\
}
endef

##@ Real node

.PHONY: cluster
cluster: helm ## A real single-node cluster (own network namespace) with the image loaded and sandbox providers; Ctrl-C tears it down.
	HELM="$(HELM)" hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Tear down whatever a cluster run left behind (processes, mounts, network namespace, cgroups, sysctls).
	hack/cluster.sh down

.PHONY: e2e-cluster
e2e-cluster: helm ## End-to-end tests inside the real cluster (test/cluster): Helm and kustomize installs, HA, upgrades, uninstall.
	HELM="$(HELM)" hack/cluster.sh e2e

##@ Demo

.PHONY: demo
demo: ## Run the operator end to end locally: control plane, sandbox providers, manager, samples (Ctrl-C stops; DEMO_EXIT=1 exits when Ready).
	hack/demo.sh

##@ Ghost (a real provider server, run here)

.PHONY: ghost
ghost: ## Install Ghost 5.130.6 from npm into bin/ghost (pinned, cached: a second run costs nothing).
	@hack/ghost/install.sh >/dev/null

.PHONY: test-ghost
test-ghost: ghost controlplane ## Against a real Ghost and SMTP sink (started and stopped by the tests): the contract suite, and the manager binary end to end.
	GHOST_INSTALL="$$(hack/ghost/install.sh)" KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" \
		go test -count=1 -v -timeout 30m ./test/ghostcontract ./test/ghostenv ./test/ghoste2e

##@ Scale and chaos

.PHONY: bench
bench: controlplane ## Scale run: 100, 1000 and 3000 SiteInvitations x 20 emails against sandbox providers; figures in bin/bench, plot in docs/.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/bench -sizes $${BENCH_SIZES:-100,1000,3000} -out bin/bench/results.json
	go run ./test/bench/plot -in bin/bench/results.json -out docs/benchmarks.svg

.PHONY: bench-10k
bench-10k: controlplane ## The 10,000-object size alone (about half an hour; not in make bench): figures in bin/bench/results-10k.json.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/bench -sizes 10000 -shards=false -timeout 60m -out bin/bench/results-10k.json

.PHONY: bench-quota
bench-quota: controlplane ## A 5,000-email backlog at Wix 100/min and WordPress.com 60/min, then against providers whose own limit is half that.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/bench -scenario quota

.PHONY: bench-refresh
bench-refresh: controlplane ## Objects whose invites are all pending: the share of the quota their looks take, and how long a new invite waits.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/bench -scenario refresh $(BENCH_REFRESH_FLAGS)

.PHONY: bench-latency
bench-latency: controlplane ## Create -> Ready of one more object among 1,000 Ready ones, p50 and p99 against the floor of its own calls.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/bench -scenario latency

.PHONY: chaos
chaos: controlplane ## Chaos run: faults, SIGKILLed managers, a killed leader; fails on any duplicate or lost invite.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/chaos -logs bin/chaos $(CHAOS_FLAGS)

.PHONY: bench-metrics
bench-metrics: ## Cost of the fleet gauges and the opt-in per-object condition gauge at 10,000 SiteInvitations (in memory, no API server).
	go run ./test/bench/metricscost -objects $${BENCH_METRICS_OBJECTS:-10000}

# A short chaos run for CI: a few kills and a fixed budget of minutes per phase.
CHAOS_SHORT_FLAGS ?= -objects 40 -emails 5 -kills 3 -leader-kills 1 -timeout 4m

.PHONY: chaos-short
chaos-short: ## Short chaos run (CI): 40 objects, 3 SIGKILLs, 1 leader kill, bounded to minutes.
	$(MAKE) chaos CHAOS_FLAGS="$(CHAOS_SHORT_FLAGS)"
