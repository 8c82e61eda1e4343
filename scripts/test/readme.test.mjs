import { describe, expect, it } from 'vitest';
import { importedPackages, installPackages, packageName, quickStart } from '../lib/readme.mjs';

const readme = (usage) => `# @stores/x

One sentence.

## Install

\`\`\`sh
npm install @stores/x express@5 -D keyv@^5 # the peers too
\`\`\`

## Usage

${usage}
`;

describe('quickStart()', () => {
  it('takes the js block after the marker line, blank lines between allowed', () => {
    const start = quickStart(readme("<!-- quick-start -->\n\n```js\nconsole.log('hi');\n```"));
    expect(start).toEqual({ lang: 'js', code: "console.log('hi');\n", line: 15 });
  });

  it('takes a ts block too, and the reason of a marker that says what the block needs', () => {
    const start = quickStart(
      readme(
        '<!-- quick-start: needs a Redis server at REDIS_URL -->\n```ts\nconst a: number = 1;\n```',
      ),
    );
    expect(start).toMatchObject({ lang: 'ts', needs: 'a Redis server at REDIS_URL' });
  });

  it('is undefined without a marker, whatever blocks the README has', () => {
    expect(quickStart(readme("```js\nconsole.log('unmarked');\n```"))).toBeUndefined();
  });

  it('rejects a marked block it could not run', () => {
    expect(() => quickStart(readme('<!-- quick-start -->\n```sh\nnpm start\n```'))).toThrow(
      /quick start at line \d+ is a `sh` block/,
    );
  });

  it('ignores a marker inside a code block', () => {
    const markdown = readme("```md\n<!-- quick-start -->\n```\n\n```js\nconsole.log('no');\n```");
    expect(quickStart(markdown)).toBeUndefined();
  });
});

describe('installPackages()', () => {
  it('lists the packages of the first install command, flags and comments dropped', () => {
    expect(installPackages(readme(''))).toEqual([
      { name: '@stores/x', spec: '@stores/x' },
      { name: 'express', spec: 'express@5' },
      { name: 'keyv', spec: 'keyv@^5' },
    ]);
  });

  it('reads pnpm add and yarn add as well', () => {
    expect(
      installPackages('```sh\npnpm add -D @stores/conformance@0.1 vitest\n```').map((p) => p.name),
    ).toEqual(['@stores/conformance', 'vitest']);
    expect(installPackages('```\n$ yarn add keyv\n```').map((p) => p.name)).toEqual(['keyv']);
  });
});

describe('importedPackages()', () => {
  it('finds static, side-effect and dynamic imports and leaves builtins and relative paths out', () => {
    const code = [
      "import { MemoryStore } from '@stores/memory';",
      "import express from 'express';",
      "import type { Store } from '@stores/core/types';",
      "import 'reflect-metadata';",
      "const { Redis } = await import('ioredis');",
      "import { join } from 'node:path';",
      "import { tmpdir } from 'os';",
      "import { mine } from './mine.js';",
    ].join('\n');
    expect(importedPackages(code)).toEqual([
      '@stores/memory',
      'express',
      '@stores/core',
      'reflect-metadata',
      'ioredis',
    ]);
  });
});

describe('packageName()', () => {
  it('is the scope and name of a scoped specifier, the first segment otherwise', () => {
    expect(packageName('@stores/conformance/servers')).toBe('@stores/conformance');
    expect(packageName('express-rate-limit')).toBe('express-rate-limit');
    expect(packageName('keyv/dist/x.js')).toBe('keyv');
  });
});
