import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The machine a run was measured on; every result row carries it. */
export interface Machine {
  /** Logical CPUs Node may use. */
  cores: number;
  /** CPU model string as the OS reports it. */
  cpu: string;
  /** Node.js version, e.g. `v20.20.2`. */
  node: string;
  /** OS name, release and architecture. */
  os: string;
  /** Physical memory, GiB. */
  memoryGiB: number;
}

/** Describes this machine. */
export function machine(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${type()} ${release()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** The bench package's directory (results and README live below it). */
export const benchDir: string = fileURLToPath(new URL('..', import.meta.url));

/**
 * The installed version of `pkg` as seen from the bench package, read from its package.json
 * on disk (some packages do not export `./package.json`); `'?'` if it is not installed.
 */
export function versionOf(pkg: string): string {
  try {
    const path = `${benchDir}node_modules/${pkg}/package.json`;
    const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const version = (json as { version?: unknown }).version;
    return typeof version === 'string' ? version : '?';
  } catch {
    return '?';
  }
}

/** `{ pkg: version }` for each package named. */
export function versions(...pkgs: string[]): Record<string, string> {
  return Object.fromEntries(pkgs.map((pkg) => [pkg, versionOf(pkg)]));
}

/**
 * Imports a workspace backend package by name, or explains why it cannot be measured yet
 * (its `dist/` is not built). Other import errors are real failures and are rethrown.
 */
export async function importBackend(pkg: string): Promise<Record<string, unknown> | string> {
  try {
    return (await import(pkg)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      return `${pkg} is not built (run \`pnpm --filter ${pkg} build\`)`;
    }
    throw error;
  }
}
