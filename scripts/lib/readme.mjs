// What the release rehearsal reads in a package README: the quick start, marked by an HTML
// comment on the line before its fenced block, and the Install command.
//
//   <!-- quick-start -->                       run it (```js/```mjs with node, ```ts with tsx)
//   <!-- quick-start: needs a Redis server --> list it with that reason, do not run it
import { builtinModules } from 'node:module';

const MARKER = /^<!--\s*quick-start(?::\s*(.*?))?\s*-->\s*$/;
const FENCE = /^(`{3,}|~{3,})\s*([\w-]*)/;
const LANGUAGES = { js: 'js', mjs: 'js', javascript: 'js', ts: 'ts', typescript: 'ts' };

/** The fenced blocks of `markdown`, each with its language and the line before it. */
function blocks(markdown) {
  const lines = markdown.split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, fence = '', lang = ''] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? '').startsWith(fence); j++) body.push(lines[j]);
    // The nearest non-blank line above the fence is where a marker would be.
    let k = i - 1;
    while (k >= 0 && (lines[k] ?? '').trim() === '') k--;
    found.push({
      lang,
      code: `${body.join('\n')}\n`,
      before: (lines[k] ?? '').trim(),
      line: i + 1,
    });
    i = j;
  }
  return found;
}

/**
 * The README's marked quick start: `{ lang: 'js' | 'ts', code, line, needs? }` (`needs` is the
 * reason it cannot run here), or undefined when no block is marked. A marked block in another
 * language is an error: the rehearsal could not run it.
 */
export function quickStart(markdown) {
  for (const block of blocks(markdown)) {
    const marker = MARKER.exec(block.before);
    if (marker === null) continue;
    const lang = LANGUAGES[block.lang];
    if (lang === undefined) {
      throw new Error(
        `the quick start at line ${block.line} is a \`${block.lang || 'plain'}\` block; mark a js or ts block`,
      );
    }
    const needs = marker[1]?.replace(/^needs\s+/, '');
    return { lang, code: block.code, line: block.line, ...(needs ? { needs } : {}) };
  }
  return undefined;
}

/**
 * The packages the README's install command names (`npm install a b@5`, `pnpm add -D a`, `yarn
 * add a`): `[{ name, spec }]`, flags dropped, `spec` with its version range as written.
 */
export function installPackages(markdown) {
  for (const block of blocks(markdown)) {
    for (const line of block.code.split('\n')) {
      const command = /^\s*(?:\$\s*)?(?:npm (?:install|i|add)|pnpm add|yarn add)\s+(.*)$/.exec(
        line,
      );
      if (command?.[1] === undefined) continue;
      return command[1]
        .replace(/\s#.*$/, '')
        .split(/\s+/)
        .filter((word) => word !== '' && !word.startsWith('-'))
        .map((spec) => ({ name: packageName(spec.replace(/(?<=.)@[^/]*$/, '')), spec }));
    }
  }
  return [];
}

const BUILTINS = new Set(builtinModules);

/** The package a bare import specifier belongs to: `@a/b/c` → `@a/b`, `x/y` → `x`. */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The packages `code` imports (static, side-effect and dynamic imports), builtins excluded. */
export function importedPackages(code) {
  const names = new Set();
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g;
  for (const match of code.matchAll(specifiers)) {
    const specifier = match[2] ?? '';
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) {
      continue;
    }
    if (!BUILTINS.has(specifier)) names.add(packageName(specifier));
  }
  return [...names];
}
