#!/usr/bin/env bash
# Cyrus IMAP and Courier-IMAP for the mail interop matrix, beside Debian's dovecot (installed by .ci/run).
# All three packages "Provide/Conflict: imap-server", so cyrus and courier are unpacked with
# `apt-get download` + `dpkg -x` into $FANOUT_SERVERS/<package>; the shared libraries they link
# against do not conflict and are installed normally. Idempotent; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SERVERS="${FANOUT_SERVERS:-/opt/fanout-servers}"

# Libraries the unpacked binaries load (from `apt-cache depends`), plus sasl2-bin for saslpasswd2
# (Cyrus's test users live in a sasldb in the test's temp dir) and isync (mbsync, the benchmark baseline).
LIBS=(
  libcom-err2 libsasl2-2 libsasl2-modules libsasl2-modules-db sasl2-bin libssl3 libwrap0 zlib1g db-util
  libclamav12 libical3 libicu72 libjansson4 libkrb5-3 libldap-2.5-0 libpcre3 libpq5 libsqlite3-0
  libxapian30 libxml2 libzephyr4
  libcourier-unicode4 libgamin0 libgdbm6 libidn12 libltdl7 libpam0g libcrypt1 libgnutls30
  isync
)
missing=()
for lib in "${LIBS[@]}"; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "install ok installed" || missing+=("$lib")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PKGS=(cyrus-imapd cyrus-common courier-imap courier-base courier-authlib courier-authlib-userdb courier-authdaemon)
mkdir -p "$SERVERS"
work="$(mktemp -d)"
chmod 755 "$work"  # apt-get download drops privileges to _apt
trap 'rm -rf "$work"' EXIT
for pkg in "${PKGS[@]}"; do
  version="$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')"
  stamp="$SERVERS/$pkg/.fanout-version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then continue; fi
  (cd "$work" && apt-get download -qq "$pkg" >/dev/null)
  rm -rf "${SERVERS:?}/$pkg"
  mkdir -p "$SERVERS/$pkg"
  dpkg -x "$work"/"${pkg}"_*.deb "$SERVERS/$pkg"
  echo "$version" > "$stamp"
  rm -f "$work"/*.deb
done
echo "imap servers in $SERVERS: ${PKGS[*]}"
