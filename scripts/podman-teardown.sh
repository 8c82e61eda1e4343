#!/usr/bin/env bash
# Undoes scripts/podman-setup.sh at the end of a run: removes every container Testcontainers
# left behind (Ryuk is disabled under podman, so a crashed run leaks them) and stops the API
# service by its PID. Keeps the images, so the next setup is fast. Idempotent.
set -euo pipefail

dir="${STORES_PODMAN_DIR:-/tmp/stores-podman}"
export CONTAINERS_CONF="$dir/containers.conf"
log() { printf 'podman-teardown: %s\n' "$*" >&2; }

if command -v podman >/dev/null; then
  ids="$(podman ps --all --quiet --filter label=org.testcontainers=true)"
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one id a word
    podman rm --force --time 0 $ids >/dev/null
    log "removed $(wc -w <<<"$ids") container(s)"
  fi
fi

if [ -f "$dir/podman.pid" ]; then
  pid="$(cat "$dir/podman.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped the service (pid $pid)"
  fi
  rm -f "$dir/podman.pid"
fi
rm -f "$dir/podman.sock"
