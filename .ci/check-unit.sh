#!/usr/bin/env bash
# Checks the shipped systemd unit with systemd's own tools: `verify` (the
# unit parses, its directives exist, its commands are executable) and
# `security` (its hardening, offline, held under a threshold). verify needs
# ExecStart's program to exist, so the check runs a copy whose commands
# point at this checkout's launcher instead of the installed path.
set -euo pipefail
cd "$(dirname "$0")/.."

UNIT=packages/daemon/mcpr-store.service
LAUNCHER="$PWD/packages/daemon/bin/mcpr-store.js"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
sed "s#/usr/local/bin/mcpr-store#$LAUNCHER#g" "$UNIT" > "$WORK/mcpr-store.service"

systemd-analyze verify "$WORK/mcpr-store.service"
# Exposure from 0 (locked down) to 100 (exposed), in tenths of the 0-10
# score systemd prints; fail above 2.0.
systemd-analyze security --offline=true --threshold=20 "$WORK/mcpr-store.service" | tail -1

# The network drop-in (deploy/systemd/network.conf) must load beside the unit
# without a warning and actually allow Internet sockets.
mkdir "$WORK/mcpr-store.service.d"
cp deploy/systemd/network.conf "$WORK/mcpr-store.service.d/"
DROPIN_LOG="$(systemd-analyze verify "$WORK/mcpr-store.service" 2>&1)"
if [ -n "$DROPIN_LOG" ]; then echo "$DROPIN_LOG"; exit 1; fi
# The report is read whole before grep: `grep -q` stops at the first match,
# and a writer still writing then dies of SIGPIPE, which pipefail would
# report as a failure.
SECURITY_REPORT="$(systemd-analyze security --offline=true "$WORK/mcpr-store.service")"
# systemd marks an open door with ✗, or with - outside a UTF-8 locale.
grep -Eq '^(✗|-) RestrictAddressFamilies=~AF_\(INET\|INET6\)' <<<"$SECURITY_REPORT" \
  || { echo "network.conf did not widen RestrictAddressFamilies"; exit 1; }
echo "unit: verify and security clean; network drop-in applies"
