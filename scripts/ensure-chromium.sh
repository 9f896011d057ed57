#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the simulator's browser test
# (test/web/simulator.test.ts, issue 6). Called by .ci/run and by the test's beforeAll, so the test
# never skips: it installs the browser (as root, with apt-get) or fails saying why. Installs nothing
# else and does nothing when Chromium is already there.
set -euo pipefail
CHROMIUM=/usr/bin/chromium

[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; as root run: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
# Two callers at once (CI and a test run) would fight over dpkg's lock: take turns.
exec 9>/tmp/ensure-chromium.lock
command -v flock >/dev/null && flock 9
[ -x "$CHROMIUM" ] && exit 0
echo "ensure-chromium: installing chromium with apt-get (a few minutes)" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2; exit 1; }
