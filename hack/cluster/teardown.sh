# shellcheck shell=bash
# teardown: undo everything a run of hack/cluster.sh did, in the order that leaves nothing behind (see
# ../shared/reference/real-node.md): Pods first, so the kubelet unmounts their volumes; then the kubelet,
# the containers' shims, containerd and the control plane, each by its recorded PID; then mounts, the
# network namespace, cgroups, the host sysctls the kubelet changed and the host paths it created.
# Idempotent: it reads what to undo from $PIDS and $STATE and removes them as it goes, so a second run (or
# `make cluster-down` after a crash) finishes the job or does nothing. Sourced, not run.

# stop <name> [seconds]: SIGTERM the recorded process, SIGKILL after the grace period.
stop() {
  local name=$1 grace=${2:-10} pid st
  [ -f "$PIDS" ] || return 0
  read -r pid st < <(awk -v n="$name" '$1 == n {print $2, $3}' "$PIDS" | tail -n 1) || return 0
  [ -n "${pid:-}" ] || return 0
  if alive "$pid" "$st"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do alive "$pid" "$st" || break; sleep 0.1; done
    if alive "$pid" "$st"; then
      log "$name ($pid) ignored SIGTERM for ${grace}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" "$st" || break; sleep 0.1; done
    fi
  fi
  awk -v n="$name" '$1 != n' "$PIDS" >"$PIDS.tmp" && mv "$PIDS.tmp" "$PIDS"
}

# recorded <key> prints the values recorded under key.
recorded() { [ -f "$STATE" ] && awk -v k="$1" '$1 == k {$1 = ""; sub(/^ /, ""); print}' "$STATE"; }

# shims lists the PIDs of containerd-shim-runc-v2 processes that belong to this run's containerd (they
# name its socket on their command line), so that only ours are stopped.
shims() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "-address $CTRD_SOCK " && echo "${p#/proc/}"
  done
  return 0
}

ctr_k8s() { "$CONTAINERD_BIN/ctr" --address "$CTRD_SOCK" --namespace k8s.io "$@"; }

remove_pods() {
  # Without the controllers nothing re-creates a deleted Pod. They (and kube-proxy) keep no state worth a
  # graceful stop, and the scheduler delays its exit on purpose: 3s each.
  stop kube-controller-manager 3; stop kube-scheduler 3
  if [ -f "$RUN/pki/admin.kubeconfig" ] && alive_name kube-apiserver && alive_name kubelet; then
    log "deleting every Pod, waiting for the kubelet to stop their containers"
    in_netns kubectl --kubeconfig "$RUN/pki/admin.kubeconfig" delete pods --all --all-namespaces \
      --grace-period=1 --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 120); do
      [ -z "$(ctr_k8s tasks ls -q 2>/dev/null)" ] && \
        ! grep -q " $RUN/kubelet/pods/" /proc/mounts && break
      sleep 0.5
    done
  fi
}

alive_name() {
  local pid st
  [ -f "$PIDS" ] || return 1
  read -r pid st < <(awk -v n="$1" '$1 == n {print $2, $3}' "$PIDS" | tail -n 1) || return 1
  [ -n "${pid:-}" ] && alive "$pid" "$st"
}

kill_tasks() {
  alive_name containerd || return 0
  local id
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 50); do [ -z "$(ctr_k8s tasks ls -q 2>/dev/null | head -n 1)" ] && break; sleep 0.1
    for id in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true; done
  done
}

stop_shims() {
  local pid
  for pid in $(shims); do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do [ -z "$(shims)" ] && return 0; sleep 0.1; done
  for pid in $(shims); do kill -KILL "$pid" 2>/dev/null || true; done
}

unmount_run() {
  local m
  # Deepest first; the kubelet bind-mounts its own root dir, so repeat until nothing under $RUN is left.
  for _ in 1 2 3 4 5; do
    mapfile -t mounts < <(awk -v r="$RUN/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r)
    [ "${#mounts[@]}" -eq 0 ] && return 0
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  awk -v r="$RUN/" 'index($2, r) == 1' /proc/mounts | grep -q . && log "mounts left under $RUN: see /proc/mounts"
  return 0
}

remove_netns() {
  if [ -e "$NETNS_PATH" ]; then
    ip netns delete "$NETNS" 2>/dev/null || { umount "$NETNS_PATH" 2>/dev/null; rm -f "$NETNS_PATH"; }
  fi
  # `ip netns add` bind-mounts /run/netns onto itself the first time; undo it if this run did that and no
  # other namespace lives there.
  if [ -n "$(recorded netns-mount)" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    while awk '$2 == "/run/netns"' /proc/mounts | grep -q .; do umount /run/netns 2>/dev/null || break; done
  fi
}

# The only host paths and cgroups teardown ever removes, whatever $STATE says.
REMOVABLE_PATHS=" /var/log/containers /var/log/pods /var/lib/cni /run/containerd /var/lib/kubelet /opt/containerd /var/run/nri /run/nri /run/mount /run/netns "
REMOVABLE_CGROUPS=" kubepods k8s.io "

remove_cgroups() {
  local c d
  for c in $(recorded cgroup); do
    [[ "$REMOVABLE_CGROUPS" == *" $c "* ]] || continue
    for d in /sys/fs/cgroup/*/"$c"; do
      [ -d "$d" ] || continue
      # Leaves first: a cgroup directory can only be removed once it has no children and no tasks.
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$d" ] && log "cgroup $d is still in use"
    done
  done
}

restore_sysctls() {
  local line key value
  while read -r line; do
    [ -n "$line" ] || continue
    key=${line%% *} value=${line#* }
    sysctl -q -w "$key=$value" >/dev/null || log "could not restore $key=$value"
  done < <(recorded sysctl)
}

remove_host_paths() {
  local p
  for p in $(recorded created); do
    [[ "$REMOVABLE_PATHS" == *" $p "* ]] || continue
    # /run/netns may hold another tool's namespaces by now: remove it only if empty.
    if [ "$p" = /run/netns ]; then rmdir "$p" 2>/dev/null || true; else rm -rf -- "$p"; fi
  done
  return 0
}

teardown() {
  [ -f "$STATE" ] || [ -s "$PIDS" ] || return 0
  log "tearing down"
  remove_pods
  stop kubelet 30
  kill_tasks
  stop kube-proxy 3
  stop containerd 5
  stop_shims
  for name in tlsfront sandbox-slow sandbox kube-apiserver etcd; do stop "$name"; done
  # Anything else this script recorded (a test run that was interrupted, say).
  if [ -f "$PIDS" ]; then
    for name in $(awk '{print $1}' "$PIDS" | sort -u); do stop "$name"; done
  fi
  unmount_run
  remove_netns
  remove_cgroups
  restore_sysctls
  remove_host_paths
  rm -f "$PIDS" "$STATE"
  log "torn down: no process, mount, network namespace or cgroup of this run is left"
}
