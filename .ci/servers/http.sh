#!/usr/bin/env bash
# HTTP servers for the mirror interop tests and benchmarks: nginx and Apache httpd (their HTML
# autoindex), curl for the benchmark's peer row. Idempotent; run as root.
#
# The harness (tests/harness/nginx-server.ts, apache-server.ts) runs each binary from a temp config
# on a random loopback port; the packages' own services are kept from starting (_lib.bash).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/_lib.bash"

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
command -v curl >/dev/null 2>&1 || need+=(curl)

install_without_services "${need[@]}"

# The harness loads modules from here and runs the binaries directly.
test -x /usr/sbin/nginx
test -x /usr/sbin/apache2
test -f /usr/lib/apache2/modules/mod_autoindex.so
nginx -v
/usr/sbin/apache2 -v | head -1
curl --version | head -1
