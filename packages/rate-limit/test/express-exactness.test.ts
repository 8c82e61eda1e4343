import { describeEachBackend } from '@stores/test-backends';
import { describe, expect, it } from 'vitest';
import { startChild } from './children.js';

const LIMIT = 100;
const REQUESTS = 1000;
const IN_FLIGHT = 64;
const WINDOW_SEC = 600; // outlasts the run, so every request falls in one window

interface Answer {
  readonly status: number;
  /** `"<name>"; r=<remaining>; t=<reset seconds>` (draft-8). */
  readonly rateLimit: string | null;
  readonly policy: string | null;
  readonly retryAfter: string | null;
}

/** Sends `REQUESTS` requests, `IN_FLIGHT` at a time, to the servers in turn. */
async function requestAll(ports: number[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  let sent = 0;
  async function client(): Promise<void> {
    while (sent < REQUESTS) {
      const port = ports[sent++ % ports.length];
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.text();
      answers.push({
        status: response.status,
        rateLimit: response.headers.get('ratelimit'),
        policy: response.headers.get('ratelimit-policy'),
        retryAfter: response.headers.get('retry-after'),
      });
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  return answers;
}

const field = (header: string | null, name: string) =>
  Number(new RegExp(`\\b${name}=(\\d+)`).exec(header ?? '')?.[1]);

await describeEachBackend((backend) => {
  // Memory cannot be shared between processes, so it gets one server.
  const servers = backend.shared ? 4 : 1;

  describe('express-rate-limit over RateLimitStore', () => {
    it(`answers exactly limit 200s to ${REQUESTS} concurrent requests spread over ${servers} server process${servers === 1 ? '' : 'es'}, 429 to the rest`, async () => {
      const config = { spec: backend.freshSpec(), limit: LIMIT, windowMs: WINDOW_SEC * 1000 };
      const children = Array.from({ length: servers }, () => startChild('http-server.mjs', config));
      const ports = await Promise.all(children.map((child) => child.next<number>()));
      const answers = await requestAll(ports);
      await Promise.all(children.map((child) => child.stop()));

      const admitted = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status === 429);
      expect(admitted).toHaveLength(LIMIT);
      expect(refused).toHaveLength(REQUESTS - LIMIT);
      // Each admitted request saw its own count: remaining 99 down to 0, once each.
      const remaining = admitted
        .map((answer) => field(answer.rateLimit, 'r'))
        .sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: LIMIT }, (_, i) => i));
      for (const answer of answers) {
        expect(answer.policy).toMatch(new RegExp(`; q=${LIMIT}; w=${WINDOW_SEC}; pk=`));
        expect(field(answer.rateLimit, 't')).toBeGreaterThan(WINDOW_SEC - 60);
        expect(field(answer.rateLimit, 't')).toBeLessThanOrEqual(WINDOW_SEC);
      }
      for (const answer of refused) {
        expect(field(answer.rateLimit, 'r')).toBe(0);
        expect(Number(answer.retryAfter)).toBeGreaterThan(WINDOW_SEC - 60);
        expect(Number(answer.retryAfter)).toBeLessThanOrEqual(WINDOW_SEC);
      }
    });
  });
});
