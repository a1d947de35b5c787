// Births the spool refused (held in memory) keep their place in their device's order. The pipeline runs on the
// real database through a TCP proxy and a real spool directory; the test takes the timing in hand where the
// races live: the spool's append is wrapped so that it refuses chosen births (as a full or read-only disk
// does) at a moment the test picks — the proxy restored before the refusal, or a later birth's write finished
// before it. Both orders used to come out reversed, whatever the machine's load.
import { describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';
import { type AppendWrapper, type StartedPipeline, useProxiedPipeline } from './support/proxied-pipeline.ts';

const env = useIngestEnvironment({ proxy: true });
const startPipeline = useProxiedPipeline(env);
let started: StartedPipeline | undefined;

const refusal = () => Object.assign(new Error('EROFS: read-only file system, open (the test refused this write)'), { code: 'EROFS' });

/** A pipeline on the proxied database and a fresh spool whose append the test wraps. */
async function start(wrap: AppendWrapper) {
  started = await startPipeline({}, { wrap });
  return started.pipeline;
}

const birthOf = (device: string, k: number) => ({ topic: `spBv1.0/Held/DBIRTH/E/${device}`, payload: numberedBirth(k) });
const refusedWrites = () => (started?.lines ?? []).filter((l) => l.includes('"event":"spool.write_failed"')).length;

async function bothApplied(device: string): Promise<number[]> {
  await waitFor('both births applied', async () => (await appliedOrder(env.admin(), `Held/E/${device}`)).length >= 2, 20_000);
  await started?.pipeline.drained();
  return appliedOrder(env.admin(), `Held/E/${device}`);
}

describe('a birth held after the spool refused it', () => {
  it('is not overtaken by the next birth of its device, queued behind it, when the database is back before that one runs', async () => {
    let refused = false;
    const p = await start((append) => async (m) => {
      if (refused) return append(m);
      refused = true;
      await env.proxy.restore(); // the database answers again before the birth queued behind this one runs
      throw refusal();
    });
    await env.proxy.cut();
    // Both accepted at once: birth 1 waits in the scheduler behind birth 0 of the same device.
    const [b0, b1] = [birthOf('Queued', 0), birthOf('Queued', 1)];
    p.accept(b0.topic, b0.payload);
    p.accept(b1.topic, b1.payload);
    expect(await bothApplied('Queued')).toEqual([0, 1]);
    expect(refused).toBe(true);
  });

  it('is not overtaken by a later birth of its device that the spool took while the write of the held one was failing, nor kept from the database by it while the disk still refuses', async () => {
    let gate: () => void = () => undefined;
    const laterWritten = new Promise<void>((resolve) => (gate = resolve));
    let firstSeen: (() => void) | undefined;
    const firstWriteStarted = new Promise<void>((resolve) => (firstSeen = resolve));
    let calls = 0;
    const p = await start((append) => async (m) => {
      calls++;
      if (calls === 1) {
        firstSeen?.();
        await laterWritten; // the later birth's write completes first
        throw refusal();
      }
      if (calls > 2) throw refusal(); // and then the disk refuses everything: the held birth must reach the database directly
      await append(m);
      gate();
    });
    await env.proxy.cut();
    const before = refusedWrites();
    const [b0, b1] = [birthOf('Spooled', 0), birthOf('Spooled', 1)];
    p.accept(b0.topic, b0.payload); // to memory; the database refuses it, so it goes to the spool (write 1)
    await firstWriteStarted;
    p.accept(b1.topic, b1.payload); // the database is marked unavailable: straight to the spool (write 2)
    await waitFor('the first write refused', () => refusedWrites() > before);
    await env.proxy.restore();
    expect(await bothApplied('Spooled')).toEqual([0, 1]);
  });
});

describe('births held out of their order', () => {
  it('go back to the scheduler in arrival order, whatever order the disk refused them in', async () => {
    let gate: () => void = () => undefined;
    const laterRefused = new Promise<void>((resolve) => (gate = resolve));
    let firstSeen: (() => void) | undefined;
    const firstWriteStarted = new Promise<void>((resolve) => (firstSeen = resolve));
    let calls = 0;
    const p = await start((append) => async (m) => {
      calls++;
      if (calls === 1) {
        firstSeen?.();
        await laterRefused; // the later birth is refused (and held) first
        throw refusal();
      }
      if (calls === 2) {
        gate();
        throw refusal();
      }
      return append(m); // once released, the spool takes them
    });
    await env.proxy.cut();
    const [b0, b1] = [birthOf('Reversed', 0), birthOf('Reversed', 1)];
    p.accept(b0.topic, b0.payload); // the database refuses it: to the spool (write 1, refused after write 2)
    await firstWriteStarted;
    p.accept(b1.topic, b1.payload); // the database is marked unavailable: straight to the spool (write 2, refused)
    await waitFor('both refused', () => refusedWrites() >= 2);
    await env.proxy.restore();
    expect(await bothApplied('Reversed')).toEqual([0, 1]);
  });
});
