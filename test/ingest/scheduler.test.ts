// DeviceScheduler: per-device arrival order, an NBIRTH as a barrier for its edge node, and the parallelism bound.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DeviceScheduler } from '../../src/ingest/scheduler.ts';

function recorder() {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const job = (name: string, node: string, device: string | undefined, ms: number) => ({
    node, device,
    run: async () => {
      running++;
      peak = Math.max(peak, running);
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      running--;
    },
  });
  return { events, job, peak: () => peak };
}

describe('DeviceScheduler', () => {
  it('runs one device in arrival order and other devices alongside, never more than the bound', async () => {
    const s = new DeviceScheduler(2);
    const r = recorder();
    s.push(r.job('a1', 'G/E', 'A', 30));
    s.push(r.job('a2', 'G/E', 'A', 5));
    s.push(r.job('b1', 'G/E', 'B', 5));
    s.push(r.job('c1', 'G/E', 'C', 5));
    await s.idle();
    expect(r.events.indexOf('end a1')).toBeLessThan(r.events.indexOf('start a2'));
    expect(r.events.indexOf('start b1')).toBeLessThan(r.events.indexOf('end a1'));
    expect(r.peak()).toBe(2);
    expect(s.size).toBe(0);
  });

  it('makes an NBIRTH wait for earlier births of its edge node, and later DBIRTHs of the node wait for it', async () => {
    const s = new DeviceScheduler(4);
    const r = recorder();
    s.push(r.job('d1', 'G/E', 'D', 20));
    s.push(r.job('n', 'G/E', undefined, 20));
    s.push(r.job('d2', 'G/E', 'D2', 5));
    s.push(r.job('other', 'G/F', 'X', 5));
    await s.idle();
    const at = (e: string) => r.events.indexOf(e);
    expect(at('end d1')).toBeLessThan(at('start n'));
    expect(at('end n')).toBeLessThan(at('start d2'));
    expect(at('start other')).toBeLessThan(at('end d1'));
  });

  it('starts no more than the bound when a slot frees with several jobs ready', async () => {
    const s = new DeviceScheduler(1);
    const r = recorder();
    for (const d of ['A', 'B', 'C', 'D']) s.push(r.job(d, 'G/E', d, 5));
    await s.idle();
    expect(r.peak()).toBe(1);
    expect(r.events).toEqual(['A', 'B', 'C', 'D'].flatMap((d) => [`start ${d}`, `end ${d}`]));
  });
});
