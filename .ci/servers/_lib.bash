# Shared by the server scripts here (sourced; not `*.sh`, so .ci/run's loop does not run it).

# install_without_services PKG...: apt-installs the packages (none given: nothing) without their
# services starting. The harness runs each binary from a temp config on a random loopback port, so
# the packages' own services are not needed (one started anyway would hold the default port): a
# policy-rc.d keeps the package scripts from starting them during the install, on a machine without
# one already, and is removed when the calling script exits.
install_without_services() {
  [ "$#" -gt 0 ] || return 0
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap "rm -f '$policy'" EXIT
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}
