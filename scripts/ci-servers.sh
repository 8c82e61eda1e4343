#!/usr/bin/env bash
# Everything CI needs for real Redis and Valkey servers, as root on Debian 12 (bookworm):
# installs redis-server, valkey-server (from bookworm-backports), podman and runc when missing,
# then runs scripts/podman-setup.sh so Testcontainers works through podman.
#
# Usage:  eval "$(scripts/ci-servers.sh)"     then the tests, then scripts/podman-teardown.sh
# Prints the exports on stdout (the podman ones plus STORES_REQUIRE_SERVERS=1, so a missing
# server fails the run instead of skipping); progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'ci-servers: %s\n' "$*" >&2; }

packages=()
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || packages+=(redis-server)
command -v podman >/dev/null || packages+=(podman)
command -v runc >/dev/null || packages+=(runc)
need_valkey=false
command -v valkey-server >/dev/null && command -v valkey-cli >/dev/null || need_valkey=true

if [ "${#packages[@]}" -gt 0 ] || $need_valkey; then
  if $need_valkey && [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
    # valkey-server 8 is only in bookworm-backports: the machine's first Debian stanza (its
    # own mirror), with the suite swapped.
    awk 'BEGIN { RS = ""; ORS = "\n" } NR == 1' /etc/apt/sources.list.d/debian.sources \
      | grep -v '^#' | sed 's/^Suites:.*/Suites: bookworm-backports/' \
      >/etc/apt/sources.list.d/backports.sources
  fi
  log "installing ${packages[*]} $($need_valkey && echo valkey-server)"
  apt-get update -qq >&2
  # The packages try to start system services; a policy that denies it is fine.
  [ "${#packages[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${packages[@]}" >&2
  ! $need_valkey || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -t bookworm-backports valkey-server >&2
fi

"$here/podman-setup.sh"
echo 'export STORES_REQUIRE_SERVERS=1'
