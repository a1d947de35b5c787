// Births the spool refused (held in memory) keep their place in their device's order. The pipeline runs on the
// real database through a TCP proxy and a real spool directory; the test takes the timing in hand where the
// races live: the spool's append is wrapped so that it refuses chosen births (as a full or read-only disk
// does) at a moment the test picks — the proxy restored before the refusal, or a later birth's write finished
// before it. Both orders used to come out reversed, whatever the machine's load.
import { describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';
import type { SpooledMessage } from '../../src/ingest/spool.ts';
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

/**
 * A spool wrapper whose first write waits until the second one has finished (taken or refused), and is then
 * refused; `later` answers the second and every further write (`call` counts from 1). `firstStarted` resolves when
 * the first write begins, so the test can send the second birth while it is out.
 */
function refuseFirstAfterSecond(later: (append: (m: SpooledMessage) => Promise<void>, m: SpooledMessage, call: number) => Promise<void>) {
  let secondDone: () => void = () => undefined;
  const second = new Promise<void>((resolve) => (secondDone = resolve));
  let started: () => void = () => undefined;
  const firstStarted = new Promise<void>((resolve) => (started = resolve));
  let calls = 0;
  const wrap: AppendWrapper = (append) => async (m) => {
    const call = ++calls;
    if (call === 1) {
      started();
      await second;
      throw refusal();
    }
    try {
      await later(append, m, call);
    } finally {
      if (call === 2) secondDone();
    }
  };
  return { wrap, firstStarted };
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
    // the later birth's write completes first; then the disk refuses everything: the held birth must reach the
    // database directly
    const { wrap, firstStarted } = refuseFirstAfterSecond((append, m, call) => (call > 2 ? Promise.reject(refusal()) : append(m)));
    const p = await start(wrap);
    await env.proxy.cut();
    const before = refusedWrites();
    const [b0, b1] = [birthOf('Spooled', 0), birthOf('Spooled', 1)];
    p.accept(b0.topic, b0.payload); // to memory; the database refuses it, so it goes to the spool (write 1)
    await firstStarted;
    p.accept(b1.topic, b1.payload); // the database is marked unavailable: straight to the spool (write 2)
    await waitFor('the first write refused', () => refusedWrites() > before);
    await env.proxy.restore();
    expect(await bothApplied('Spooled')).toEqual([0, 1]);
  });
});

describe('births held out of their order', () => {
  it('go back to the scheduler in arrival order, whatever order the disk refused them in', async () => {
    // the later birth is refused (and held) first; once released, the spool takes them
    const { wrap, firstStarted } = refuseFirstAfterSecond((append, m, call) => (call === 2 ? Promise.reject(refusal()) : append(m)));
    const p = await start(wrap);
    await env.proxy.cut();
    const [b0, b1] = [birthOf('Reversed', 0), birthOf('Reversed', 1)];
    p.accept(b0.topic, b0.payload); // the database refuses it: to the spool (write 1, refused after write 2)
    await firstStarted;
    p.accept(b1.topic, b1.payload); // the database is marked unavailable: straight to the spool (write 2, refused)
    await waitFor('both refused', () => refusedWrites() >= 2);
    await env.proxy.restore();
    expect(await bothApplied('Reversed')).toEqual([0, 1]);
  });
});
