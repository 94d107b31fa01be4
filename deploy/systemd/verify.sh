#!/usr/bin/env bash
# systemd-analyze verify on reservation.service, as .ci/run runs it. It needs no running systemd
# (works in a container), but the ExecStart binary must exist: a copy is checked with node's path
# on this machine and the bundle's in this tree. Any warning (unknown key, bad value) fails too.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
node_bin="$(command -v node)" || { echo "verify: no node on PATH"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed -e "s|/usr/bin/node|$node_bin|" -e "s|/opt/everest-reservation/reservation.js|$root/dist/bundle/reservation.js|" \
  "$here/reservation.service" > "$work/reservation.service"
out="$(systemd-analyze verify --man=no "$work/reservation.service" 2>&1)"
status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
  echo "$out"
  echo "deploy/systemd/reservation.service: systemd-analyze verify failed"
  exit 1
fi
echo "deploy/systemd/reservation.service: systemd-analyze verify passed"
