import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.js';
import { parseEndpointSpec, pickRoute } from './endpoint-spec.js';

describe('endpoint specs', () => {
  it('fills defaults for one model', () => {
    const s = parseEndpointSpec({ name: 'flights', model: 'flights@champion' });
    expect(s).toMatchObject({ name: 'flights', routes: [{ model: 'flights@champion', weight: 100 }], shadow: null, sticky: null, log: true, batching: { maxBatchSize: 256, maxWaitMs: 0 } });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      parseEndpointSpec({ name: 'bad name', routes: [{ model: 'flights', weight: 60 }, { model: 'flights@2', weight: 30 }], sticky: 'cookie:x', batching: { maxBatchSize: 0 }, colour: 'red' });
    } catch (e) {
      error = e;
    }
    const paths = ((error as { details: { issues: { path: unknown[] }[] } }).details.issues).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['colour', 'name', 'routes.0.model', 'sticky', 'batching.maxBatchSize']));
    expect(() => parseEndpointSpec({ name: 'x', routes: [{ model: 'a@1', weight: 60 }, { model: 'a@2', weight: 30 }] })).toThrow(/add up to 90; they must add up to 100/);
  });

  it('keeps what an update leaves out, and reads stored sticky keys back', () => {
    const base = parseEndpointSpec({ name: 'f', model: 'f@champion', sticky: 'header:X-User', batching: { maxBatchSize: 8 } });
    const next = parseEndpointSpec({ routes: [{ model: 'f@champion', weight: 90 }, { model: 'f@challenger', weight: 10 }] }, base);
    expect(next.sticky).toEqual({ from: 'header', name: 'x-user' });
    expect(next.batching.maxBatchSize).toBe(8);
    expect(parseEndpointSpec(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });

  it('splits draws by weight within a binomial tolerance', () => {
    const routes = [{ model: 'a@1', weight: 90 }, { model: 'a@2', weight: 10 }];
    const random = seededRandom(7);
    const n = 20_000;
    let second = 0;
    for (let i = 0; i < n; i++) second += pickRoute(routes, undefined, random());
    // 10% of 20,000 with a binomial standard deviation of sqrt(n·p·(1−p)) ≈ 42; allow 5 of them.
    expect(Math.abs(second - 2000)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9));
  });

  it('sends a sticky key to the same route every time and spreads keys by weight', () => {
    const routes = [{ model: 'a@1', weight: 50 }, { model: 'a@2', weight: 50 }];
    const first = Array.from({ length: 2000 }, (_, i) => pickRoute(routes, `user-${i}`, 0));
    const again = Array.from({ length: 2000 }, (_, i) => pickRoute(routes, `user-${i}`, 0.99));
    expect(again).toEqual(first);
    const ones = first.reduce<number>((a, b) => a + b, 0);
    expect(Math.abs(ones - 1000)).toBeLessThan(5 * Math.sqrt(2000 * 0.25));
    expect(pickRoute([{ model: 'a@1', weight: 0 }, { model: 'a@2', weight: 100 }], undefined, 0)).toBe(1);
  });
});
