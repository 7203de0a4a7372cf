# shellcheck shell=bash
# Names, addresses and helpers every part of hack/cluster.sh shares. Sourced, not run.

# The node lives in its own network namespace with no link to the host network: nothing inside can reach
# the host's networks, and nothing outside can reach the API server, the Pods or the sandbox.
NETNS=${CLUSTER_NETNS:-invitation-operator-node}
NODE_NAME=node
NODE_IP=10.200.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/24
SERVICE_IP=10.96.0.1
# The address range the test's provider endpoints live in. Hook for the tenancy issue's allowed-range
# setting (the manager will refuse private provider addresses unless allowed): test/cluster passes it as
# --allowed-provider-cidrs once the manager has that flag.
PROVIDER_CIDR=10.200.0.0/24
# containerd v2.4.2's pinned sandbox image; hack/pause is built into an image of that name, as none can be pulled.
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2
# Release 0.1.0, as its users run it: test/cluster's upgrade scenario installs chart 0.1.0 (testdata) with
# the manager built from this commit, then upgrades both.
PREVIOUS_REV=2123cc2 PREVIOUS_VERSION=v0.1.0

# Sandbox providers: plain HTTP on loopback (cmd/sandbox serves loopback only), fronted by tlsfront on the
# node address with a certificate from the test's own provider CA. "slow" answers after a delay, so a test
# can act while a send is in flight.
SANDBOX_FAST_PORTS=(9100 9101 9102 9103)   # page, Wix, WordPress.com, Ghost
SANDBOX_SLOW_PORTS=(9110 9111 9112 9113)
SANDBOX_SLOW_LATENCY=${SANDBOX_SLOW_LATENCY:-2s}
FRONT_WIX=9443 FRONT_WP=9444 FRONT_GHOST=9445 FRONT_SLOW_WIX=9453 FRONT_SLOW_WP=9454
FRONT_PLAIN_WIX=9401 FRONT_PLAIN_WP=9402

CLUSTER_DIR="$root/bin/cluster"
RUN="$CLUSTER_DIR/run"          # everything one run writes: PKI, configs, data, logs
PIDS="$CLUSTER_DIR/pids"        # "name pid starttime" per process this script started
STATE="$CLUSTER_DIR/state"      # what teardown must restore: sysctls, host paths and mounts it created
TIMINGS="$CLUSTER_DIR/timings"  # seconds per phase, for docs/testing.md
CTRD_SOCK="$RUN/containerd/containerd.sock"
NETNS_PATH="/run/netns/$NETNS"

log() { printf '\033[1mcluster: %s\033[0m\n' "$*" >&2; }
fail() { printf '\033[31mcluster: %s\033[0m\n' "$*" >&2; exit 1; }

# timed <phase> <command...> runs the command and appends "<phase> <seconds>" to $TIMINGS.
timed() {
  local phase=$1 start; shift
  start=$(date +%s)
  "$@"
  printf '%s %s\n' "$phase" "$(( $(date +%s) - start ))" >>"$TIMINGS"
}

# starttime prints a process's start time (clock ticks since boot): with the PID it names the process
# uniquely, so teardown never signals a process that merely reused a recorded PID.
starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

# alive <pid> <starttime>: the recorded process still runs (a zombie counts as gone).
alive() {
  local pid=$1 st=$2
  [ -r "/proc/$pid/stat" ] || return 1
  [ "$(starttime "$pid")" = "$st" ] || return 1
  ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$pid/stat" 2>/dev/null
}

# run_in_netns <name> <command...> starts a process inside the node's network namespace, in a session of
# its own (Ctrl-C on `make cluster` reaches this script, which then stops everything in order), logs to
# $RUN/logs/<name>.log and records its PID. nsenter rather than `ip netns exec`, which remounts /sys and
# would hide the cgroups from the kubelet.
run_in_netns() {
  local name=$1 pidfile="$RUN/pids/$1"; shift
  mkdir -p "$RUN/pids" "$RUN/logs"
  rm -f "$pidfile"
  setsid bash -c 'echo $$ >"$0"; exec nsenter --net="$1" -- "${@:2}"' "$pidfile" "$NETNS_PATH" "$@" \
    >"$RUN/logs/$name.log" 2>&1 </dev/null &
  local pid=""
  for _ in $(seq 1 50); do
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || fail "$name did not start"
  printf '%s %s %s\n' "$name" "$pid" "$(starttime "$pid")" >>"$PIDS"
}

# in_netns <command...> runs a command to completion inside the node's network namespace.
in_netns() { nsenter --net="$NETNS_PATH" -- "$@"; }

# wait_for <what> <seconds> <command...> polls the command every half second, for at most <seconds>.
wait_for() {
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 2))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "timed out after ${secs}s waiting for $what (logs in $RUN/logs/)"
}

# record <key> <value...> notes something teardown must undo.
record() { printf '%s\n' "$*" >>"$STATE"; }
