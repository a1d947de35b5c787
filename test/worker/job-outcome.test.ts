// A job whose changes Canary refuses for good must not read as a success: an error line that names the dead
// letters and what to do (not "device synced to Canary" at info), and worker_jobs_total{outcome="dead_lettered"}.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { birth, ingest, parity, startTestWorker, TAG, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

function recordingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string }); done(); } });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('canary_sync_device job outcome', () => {
  it('a job that dead-letters a change logs an error with what to do, never "device synced to Canary"', async () => {
    fx.sim.state.setFaults({ tagErrors: [{ tag: TAG('bad', 'Refused'), message: 'Tag is already being logged' }] });
    const { logger, lines } = recordingLogger();
    fx.worker = await startTestWorker(fx.sim, fx.db, {}, logger);
    await ingest(fx.db, birth('Refused', { good: { engUnit: 'bar' }, bad: { engUnit: 'bar' } }));
    await waitFor('dead letter', async () => (await parity(fx.db)).some((r) => r.status === 'dead_letter'));
    await waitFor('the job line', () => Promise.resolve(lines.some((l) => l.msg.startsWith('device sync'))));
    const job = lines.filter((l) => l.msg.startsWith('device sync'));
    expect(job).toEqual([expect.objectContaining({
      level: 50,
      msg: 'device sync dead-lettered 1 changes: see uns_meta.canary_dead_letters, fix the cause, then run uns-meta canary replay --send',
    })]);
    const outcomes = (await fx.worker.deps.metrics.jobs.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(outcomes).toEqual([['dead_lettered', 1]]);
  });
});
