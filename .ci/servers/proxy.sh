#!/usr/bin/env bash
# Proxies for the proxy tests (tests/integration/network/proxy*.test.ts): tinyproxy (HTTP CONNECT)
# and Dante's sockd (SOCKS5). Idempotent; run as root. The harness (tests/harness/tinyproxy-server.ts,
# dante-server.ts) runs each binary from a temp config on a random loopback port, so the packages'
# own services are not needed: a policy-rc.d keeps the package scripts from starting them during
# the install (on a machine without one already).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
[ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
[ -x /usr/sbin/danted ] || need+=(dante-server)

if [ "${#need[@]}" -gt 0 ]; then
  policy=/usr/sbin/policy-rc.d
  ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
  fi
  trap 'if [ "$ours" = 1 ]; then rm -f "$policy"; fi' EXIT
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

test -x /usr/bin/tinyproxy
test -x /usr/sbin/danted
/usr/bin/tinyproxy -v
/usr/sbin/danted -v
