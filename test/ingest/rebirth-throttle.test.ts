// The rebirth throttle, in process with a fixed clock: at most one NCMD per edge node per interval, the interval's end
// included, each edge node on its own, and a suppressed request counted and logged with its cause. (In the ingest
// Stryker run of 2026-12-07 only the broker tests reached it, and none at the interval's edge.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/ingest/metrics.ts';
import { createRebirthRequester } from '../../src/ingest/rebirth.ts';
import type { Logger } from '../../src/runtime/log.ts';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

function capture() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn') } as unknown as Logger };
}

describe('rebirth requests', () => {
  it('go out at most once per edge node per interval, again at the interval\'s end, and each edge node on its own', async () => {
    const published: string[] = [];
    const metrics = createMetrics();
    const { lines, log } = capture();
    const rebirth = createRebirthRequester({ enabled: true, intervalMs: 1000 }, (topic) => { published.push(topic); return Promise.resolve(); }, metrics);

    rebirth.request('G', 'E1', 'unknown alias 7', log); // t = 0: sent
    vi.setSystemTime(T0 + 999);
    rebirth.request('G', 'E1', 'unknown alias 8', log); // inside the interval: suppressed
    rebirth.request('G', 'E2', 'unknown alias 9', log); // another edge node: sent
    vi.setSystemTime(T0 + 1000);
    rebirth.request('G', 'E1', 'unknown alias 10', log); // the interval is over: sent

    expect(published).toStrictEqual(['spBv1.0/G/NCMD/E1', 'spBv1.0/G/NCMD/E2', 'spBv1.0/G/NCMD/E1']);
    expect((await metrics.rebirthsRequested.get()).values[0]?.value).toBe(3);
    expect((await metrics.rebirthsSuppressed.get()).values[0]?.value).toBe(1);
    expect(lines.filter((l) => l.level === 'debug')).toStrictEqual([{
      level: 'debug',
      fields: { event: 'rebirth.suppressed', edgeNode: 'G/E1', cause: 'unknown alias 8' },
      message: 'rebirth of G/E1 not requested (one per 1 s): unknown alias 8',
    }]);
  });

  it('are never sent when rebirths are off', () => {
    const published: string[] = [];
    const { log } = capture();
    createRebirthRequester({ enabled: false, intervalMs: 1000 }, (topic) => { published.push(topic); return Promise.resolve(); }, createMetrics()).request('G', 'E', 'x', log);
    expect(published).toStrictEqual([]);
  });
});
