#!/usr/bin/env bash
# FTP servers for the interop matrix beside Debian's vsftpd (installed by .ci/run): pure-ftpd and
# proftpd. Their packages conflict with vsftpd (and pull in inetd/systemd units), so the .debs are
# unpacked with `dpkg -x` under $FANOUT_SERVERS/<package> and run from there by tests/harness;
# only their shared libraries are installed with apt. lftp is the benchmark's reference client.
# Idempotent; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
DEST="${FANOUT_SERVERS:-/opt/fanout-servers}"
mkdir -p "$DEST"

# Libraries the two binaries link against (from the packages' Depends), and lftp.
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
  libcap2 libcrypt1 libpam0g libsodium23 libssl3 \
  libacl1 libhiredis0.14 libidn2-0 libmemcached11 libmemcachedutil2 libncursesw6 \
  libpcre2-8-0 libpcre2-posix3 libtinfo6 zlib1g \
  lftp >/dev/null

unpack() { # <package> <file that proves it is unpacked>
  local pkg="$1" marker="$2"
  if [ -x "$DEST/$pkg/$marker" ]; then return 0; fi
  local tmp
  tmp="$(mktemp -d)"
  chmod 755 "$tmp" # apt-get download runs as _apt
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
  rm -rf "$DEST/$pkg"
  mkdir -p "$DEST/$pkg"
  dpkg -x "$tmp"/"$pkg"_*.deb "$DEST/$pkg"
  rm -rf "$tmp"
  test -x "$DEST/$pkg/$marker"
}

unpack pure-ftpd usr/sbin/pure-ftpd
unpack proftpd-core usr/sbin/proftpd

"$DEST/pure-ftpd/usr/sbin/pure-ftpd" --help >/dev/null 2>&1 || true
"$DEST/proftpd-core/usr/sbin/proftpd" -v
echo "pure-ftpd and proftpd unpacked under $DEST"
