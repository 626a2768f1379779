#!/usr/bin/env bash
# An HTTP proxy for the proxy tests (tests/integration/network/proxy.test.ts): tinyproxy. Idempotent;
# run as root. The harness (tests/harness/tinyproxy-server.ts) runs the binary from a temp config on
# a random loopback port, so the package's own service is not needed: a policy-rc.d keeps the
# package scripts from starting it during the install (on a machine without one already).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ ! -x /usr/bin/tinyproxy ]; then
  policy=/usr/sbin/policy-rc.d
  ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
  fi
  trap 'if [ "$ours" = 1 ]; then rm -f "$policy"; fi' EXIT
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends tinyproxy >/dev/null
fi

test -x /usr/bin/tinyproxy
/usr/bin/tinyproxy -v
