#!/usr/bin/env bash
# Proxies for the proxy tests (tests/integration/network/proxy*.test.ts): tinyproxy (HTTP CONNECT)
# and Dante's sockd (SOCKS5). Idempotent; run as root. The harness (tests/harness/tinyproxy-server.ts,
# dante-server.ts) runs each binary from a temp config on a random loopback port; the packages' own
# services are kept from starting (_lib.bash).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/_lib.bash"

need=()
[ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
[ -x /usr/sbin/danted ] || need+=(dante-server)

install_without_services "${need[@]}"

test -x /usr/bin/tinyproxy
test -x /usr/sbin/danted
/usr/bin/tinyproxy -v
/usr/sbin/danted -v
