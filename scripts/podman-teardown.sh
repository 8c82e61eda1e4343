#!/usr/bin/env bash
# Undoes scripts/podman-setup.sh at the end of a run: removes the containers Testcontainers left
# behind through this project's service (Ryuk is disabled under podman, so a crashed run leaks
# them) and stops the service by its PID. Only containers annotated with this state
# directory's session id are removed: other projects' Testcontainers containers on the host
# (labelled org.testcontainers=true as well) are left alone. Keeps the images, so the next
# setup is fast. Idempotent.
set -euo pipefail

dir="${STORES_PODMAN_DIR:-/tmp/stores-podman}"
export CONTAINERS_CONF="$dir/containers.conf"
log() { printf 'podman-teardown: %s\n' "$*" >&2; }

session="$(cat "$dir/session" 2>/dev/null || true)"
if command -v podman >/dev/null && [ -n "$session" ]; then
  mine=()
  others=0
  candidates="$(podman ps --all --quiet --no-trunc --filter label=org.testcontainers=true)"
  if [ -n "$candidates" ]; then
    # shellcheck disable=SC2086 # one id a word
    while read -r id owner; do
      if [ "$owner" = "$session" ]; then mine+=("$id"); else others=$((others + 1)); fi
    done < <(podman inspect --format '{{.Id}} {{index .Config.Annotations "io.stores.podman-session"}}' \
      $candidates 2>/dev/null || true)
  fi
  if [ "${#mine[@]}" -gt 0 ]; then
    podman rm --force --time 0 "${mine[@]}" >/dev/null
    log "removed ${#mine[@]} container(s) of session $session"
  fi
  [ "$others" -eq 0 ] || log "left $others Testcontainers container(s) of other sessions alone"
elif [ -z "$session" ]; then
  log "no session in $dir: no container removed"
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
