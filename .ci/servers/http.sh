#!/usr/bin/env bash
# HTTP servers for the mirror interop tests and benchmarks: nginx and Apache httpd (their HTML
# autoindex), curl for the benchmark's peer row. Idempotent; run as root.
#
# The harness (tests/harness/nginx-server.ts, apache-server.ts) runs each binary from a temp config
# on a random loopback port, so the packages' own services are not needed: a policy-rc.d keeps the
# package scripts from starting them during the install (on a machine without one already); a
# service started anyway would listen on port 80 only, never on the harness's ports.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
command -v curl >/dev/null 2>&1 || need+=(curl)

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

# The harness loads modules from here and runs the binaries directly.
test -x /usr/sbin/nginx
test -x /usr/sbin/apache2
test -f /usr/lib/apache2/modules/mod_autoindex.so
nginx -v
/usr/sbin/apache2 -v | head -1
curl --version | head -1
