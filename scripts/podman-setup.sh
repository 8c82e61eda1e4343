#!/usr/bin/env bash
# Makes Testcontainers work through rootful podman on a machine without Docker and without
# registry access: builds the Redis and Valkey images locally from the host's own binaries and
# serves Docker's API on a unix socket. Idempotent: a second run reuses the images and the
# service and only reprints the environment.
#
# Usage:  eval "$(scripts/podman-setup.sh)"     (progress goes to stderr, exports to stdout)
# Needs:  podman, runc, redis-server, valkey-server, ldd (CI: scripts/ci-servers.sh installs them).
# State:  $STORES_PODMAN_DIR (default /tmp/stores-podman): containers.conf, podman.sock,
#         podman.pid, podman.log, session, service.conf, env (the same exports as stdout).
#
# Every container created through this service carries the annotation
# io.stores.podman-session=<the id in $dir/session> (containers.conf adds it), which is how
# scripts/podman-teardown.sh removes what this project started and nothing else.
set -euo pipefail

dir="${STORES_PODMAN_DIR:-/tmp/stores-podman}"
sock="$dir/podman.sock"
log() { printf 'podman-setup: %s\n' "$*" >&2; }

for cmd in podman runc ldd redis-server valkey-server; do
  command -v "$cmd" >/dev/null || { log "missing '$cmd' (see scripts/ci-servers.sh)"; exit 1; }
done
mkdir -p "$dir"

# One id per state directory, kept across runs: containers of an earlier crashed run are ours too.
[ -s "$dir/session" ] || echo "stores-$(cat /proc/sys/kernel/random/uuid)" >"$dir/session"
session="$(cat "$dir/session")"

# runc, not crun: crun rejects hybrid cgroups. Containers cannot get higher limits than ours.
export CONTAINERS_CONF="$dir/containers.conf"
hard_nofile="$(ulimit -Hn)"
[ "$hard_nofile" = unlimited ] && hard_nofile=1048576
cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=32768:32768"]
annotations = ["io.stores.podman-session=$session"]

[engine]
runtime = "runc"
CONF

# build_image NAME TAG: a FROM-scratch image holding the host's NAME binary, the libraries ldd
# lists and /bin/sh. Rebuilt only when one of those files (or this recipe) changed: their hash
# is an image label.
build_image() {
  local name="$1" tag="$2" bin files hash current ctx
  bin="$(readlink -f "$(command -v "$name")")"
  # ldd prints "lib => /path (addr)" lines, "/path (addr)" for the loader, and "file:" headers.
  files="$(ldd "$bin" /bin/sh | sort -u \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*[^:]$/ { print $1 }')"
  # shellcheck disable=SC2086 # one path a word
  hash="$( (echo recipe-1; cat "$bin" /bin/sh $files) | sha256sum | cut -c1-16)"
  current="$(podman image inspect --format '{{.Id}} {{index .Labels "stores.hash"}}' "$tag" \
    2>/dev/null || true)"
  if [ "${current#* }" = "$hash" ]; then
    log "$tag up to date"
    return
  fi
  log "building $tag from $bin"
  ctx="$(mktemp -d)"
  # The file must be called NAME: redis-server/valkey-server pick their mode from argv[0].
  mkdir -p "$ctx/usr/local/bin" "$ctx/bin" "$ctx/data"
  cp -L "$bin" "$ctx/usr/local/bin/$name"
  cp -L /bin/sh "$ctx/bin/sh"
  for lib in $files; do cp -L --parents "$lib" "$ctx/"; done
  # Debian builds default to protected mode, which refuses clients from the container network.
  printf '#!/bin/sh\nexec "$@" --protected-mode no\n' >"$ctx/entrypoint.sh"
  chmod 755 "$ctx/entrypoint.sh"
  cat >"$ctx/Containerfile" <<CF
FROM scratch
COPY . /
ENV PATH=/usr/local/bin:/bin
WORKDIR /data
EXPOSE 6379
LABEL stores.hash="$hash"
ENTRYPOINT ["/entrypoint.sh"]
CMD ["$name"]
CF
  podman build --quiet --tag "$tag" --file "$ctx/Containerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
  # The previous build lost its tag; drop it unless a container still uses it.
  [ -z "$current" ] || podman rmi "${current%% *}" >/dev/null 2>&1 || true
}
build_image redis-server docker.io/library/redis:7.0.15
build_image valkey-server docker.io/valkey/valkey:8.0.1

answers() { curl -fsS --max-time 2 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; }
# A service started with another containers.conf (an older recipe, no session annotation)
# would create containers the teardown cannot recognise: restart it.
if answers && cmp -s "$CONTAINERS_CONF" "$dir/service.conf"; then
  log "service already answers on $sock"
else
  if [ -f "$dir/podman.pid" ] && kill -0 "$(cat "$dir/podman.pid")" 2>/dev/null; then
    kill "$(cat "$dir/podman.pid")" || true
  fi
  rm -f "$sock"
  cp "$CONTAINERS_CONF" "$dir/service.conf"
  # setsid: the service outlives this script and ignores the caller's Ctrl-C.
  setsid podman system service --time=0 "unix://$sock" >"$dir/podman.log" 2>&1 </dev/null &
  echo $! >"$dir/podman.pid"
  for _ in $(seq 100); do answers && break; sleep 0.1; done
  answers || { log "service did not answer on $sock; see $dir/podman.log"; exit 1; }
  log "service started (pid $(cat "$dir/podman.pid"), session $session)"
fi

# This machine has /.dockerenv, which otherwise makes Testcontainers look for a gateway host;
# Ryuk's image cannot be pulled, so scripts/podman-teardown.sh removes leftovers instead.
cat >"$dir/env" <<ENV
export DOCKER_HOST=unix://$sock
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export CONTAINERS_CONF=$CONTAINERS_CONF
ENV
cat "$dir/env"
