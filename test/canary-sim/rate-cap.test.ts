import { describe, expect, it } from 'vitest';
import { RateCap, SlidingWindowCounter } from '../../src/canary-sim/rate-cap.ts';

/** Brute force: the largest number of times in any half-open window (t - 1000, t]. */
function bruteForceMax(times: number[]): number {
  let max = 0;
  for (const t of times) max = Math.max(max, times.filter((u) => u > t - 1000 && u <= t).length);
  return max;
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('SlidingWindowCounter', () => {
  it('counts exactly at the window edges, unlike fixed one-second buckets', () => {
    const c = new SlidingWindowCounter(1000);
    // 3 events late in "second 0" and 3 early in "second 1": fixed buckets would say 3, any window says 6.
    for (const t of [900, 950, 999]) c.add(t);
    for (const t of [1000, 1001, 1899]) c.add(t);
    expect(c.max).toBe(6);
    // 1900 is exactly 1000 after 900: 900 has left the window (t - 1000, t].
    expect(c.add(1900)).toBe(6);
    expect(c.countAt(2898)).toBe(2); // 1899 and 1900 remain
    expect(c.countAt(2899)).toBe(1); // 1899 has left
    expect(c.countAt(3000)).toBe(0);
  });

  it('matches a brute-force computation on random arrivals', () => {
    const random = seeded(7);
    const times: number[] = [];
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      t += random() * (i % 500 < 250 ? 0.5 : 8); // bursts and lulls
      times.push(t);
    }
    const c = new SlidingWindowCounter(1000);
    for (const x of times) c.add(x);
    expect(c.max).toBe(bruteForceMax(times));
  });
});

describe('RateCap', () => {
  it('when enforced, never accepts more than the limit in any window, and counts refusals as received', () => {
    const random = seeded(11);
    const cap = new RateCap(50, true);
    const all: number[] = [];
    const accepted: number[] = [];
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      t += random() * 10;
      all.push(t);
      if (cap.arrive(t)) accepted.push(t);
    }
    const stats = cap.stats();
    expect(bruteForceMax(accepted)).toBeLessThanOrEqual(50);
    expect(stats.maxAcceptedInAnyWindow).toBe(bruteForceMax(accepted));
    expect(stats.maxReceivedInAnyWindow).toBe(bruteForceMax(all));
    expect(stats.maxReceivedInAnyWindow).toBeGreaterThan(50);
    expect(stats.rejected).toBe(all.length - accepted.length);
  });

  it('when not enforced, accepts everything and still reports the maximum', () => {
    const cap = new RateCap(2, false);
    for (const t of [0, 1, 2, 3]) expect(cap.arrive(t)).toBe(true);
    expect(cap.stats()).toMatchObject({ maxReceivedInAnyWindow: 4, maxAcceptedInAnyWindow: 4, rejected: 0 });
  });
});
