#!/usr/bin/env bash
# hack/release-check.sh <tag>: fails unless <tag> is the release this tree describes, so the image and the
# chart a release publishes are exactly what the installers reference by default:
#   the chart's appVersion == <tag>, its version == <tag> without the v, config/manager's image tag == <tag>,
#   and the chart, config/manager and the Makefile name the same image repository.
# The release workflow runs it before building; test/install runs it with the chart's appVersion.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=${1:?usage: $0 <tag, e.g. v0.2.0>}
chart="$root/charts/invitation-operator"
kust="$root/config/manager/kustomization.yaml"

app_version=$(sed -n 's/^appVersion: *"*\([^"]*\)"*$/\1/p' "$chart/Chart.yaml")
chart_version=$(sed -n 's/^version: *"*\([^"]*\)"*$/\1/p' "$chart/Chart.yaml")
chart_repo=$(awk '/^image:/ {in_image=1; next} in_image && /^ +repository:/ {print $2; exit}' "$chart/values.yaml")
kust_repo=$(sed -n 's/^ *newName: *//p' "$kust")
kust_tag=$(sed -n 's/^ *newTag: *//p' "$kust")
make_repo=$(make -s -C "$root" print-image-repo)

errors=()
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || errors+=("tag $tag is not vMAJOR.MINOR.PATCH[-PRERELEASE]")
[ "$app_version" = "$tag" ] || errors+=("Chart.yaml appVersion is $app_version, the tag is $tag")
[ "v$chart_version" = "$tag" ] || errors+=("Chart.yaml version is $chart_version, the tag is $tag")
[ "$kust_tag" = "$tag" ] || errors+=("config/manager newTag is $kust_tag, the tag is $tag")
[ "$chart_repo" = "$make_repo" ] || errors+=("values.yaml image.repository is $chart_repo, the Makefile's IMAGE_REPO is $make_repo")
[ "$kust_repo" = "$make_repo" ] || errors+=("config/manager newName is $kust_repo, the Makefile's IMAGE_REPO is $make_repo")
if [ "${#errors[@]}" -gt 0 ]; then
  printf 'release-check: %s\n' "${errors[@]}" >&2
  exit 1
fi
echo "release-check: $make_repo:$tag is what the chart and config/default install"
