#!/usr/bin/env bash
# Installs the Debian packages the image test and the test node need, only those missing, at whatever
# version the machine's Debian release carries (these machines cannot download anything else):
#   runc                         runs the image in test/image and every container of the node
#   containernetworking-plugins  the node's Pod network (bridge, host-local, loopback)
#   iptables, conntrack          kube-proxy's Service rules, inside the node's network namespace
# Usage: hack/debian-packages.sh [package...]; with no argument, all of them. Needs root (CI runs as root).
set -euo pipefail

all=(runc containernetworking-plugins iptables conntrack)
wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=("${all[@]}")

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  printf 'debian-packages: %s missing; install them as root: apt-get install %s\n' "${missing[*]}" "${missing[*]}" >&2
  exit 1
fi
printf 'debian-packages: installing %s\n' "${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them only then (and once more if the install fails on stale lists).
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
  apt-get update -qq
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
