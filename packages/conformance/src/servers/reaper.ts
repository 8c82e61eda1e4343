import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// One watchdog shell per process holds the PIDs of the servers we started. It reads them from a
// pipe; when this process ends in any way (normal exit, crash, SIGKILL of a vitest worker) the
// pipe closes and the watchdog SIGKILLs whatever is still listed, so no server outlives us.
const WATCHDOG = `
pids=
while read -r line; do
  case $line in
    +*) pids="$pids \${line#+}" ;;
    -*) rest=; for p in $pids; do [ "$p" = "\${line#-}" ] || rest="$rest $p"; done; pids=$rest ;;
  esac
done
[ -z "$pids" ] || kill -9 $pids 2>/dev/null
`;

let watchdog: ChildProcess | undefined;

function send(line: string): void {
  if (watchdog === undefined) {
    // detached: a Ctrl-C to our process group must not kill the watchdog before it does its job.
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.on('error', (error) => {
      process.emitWarning(`@stores/conformance: server watchdog failed: ${error.message}`);
    });
    watchdog.unref();
    (watchdog.stdin as Socket).unref();
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Makes sure the process `pid` is SIGKILLed when this process exits, however it exits. */
export function guardProcess(pid: number): void {
  send(`+${pid}`);
}

/** Forgets `pid` (it has exited), so a later process reusing the number is left alone. */
export function releaseProcess(pid: number): void {
  send(`-${pid}`);
}
