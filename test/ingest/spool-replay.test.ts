// An ingestor that starts on a spool left by an earlier run (in process, so the start-up and replay code is under
// test, not only under the child-process fault tests): a good birth is applied, an invalid one dead-lettered, a file
// cut short moved aside as <seq>.bad, a file that is not a birth dropped from the replay, a file without a header
// left in place; each of the last three says so in one error line naming the file. Nothing already spooled is lost
// silently: every file is either applied, dead-lettered, or left on disk with a line saying where.
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../src/ingest/spool.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { type RunningIngestor, startTestIngestor, waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment();
let ingestor: RunningIngestor | undefined;
let dir: string | undefined;
afterAll(async () => {
  await ingestor?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const name = (seq: number, suffix = '.msg') => `${String(seq).padStart(20, '0')}${suffix}`;
const birth = encodePayload({
  timestamp: '1700000000000', seq: '1',
  metrics: [{ name: 'Kiln/Temp', datatype: 10, doubleValue: 1450, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'degC' }] } }],
});

describe('a spool from an earlier run', () => {
  it('is replayed at start: applied, dead-lettered, moved aside or left, each file accounted for', async () => {
    dir = await mkdtemp(join(tmpdir(), 'uns-meta-spool-'));
    const { spool } = await Spool.open(dir);
    const receivedAt = new Date(Date.UTC(2026, 11, 7, 12));
    await spool.append({ seq: 1, topic: 'spBv1.0/Replay/DBIRTH/E/Good', receivedAt, payload: birth });
    await spool.append({ seq: 2, topic: 'spBv1.0/Replay/DBIRTH/E/Cut', receivedAt, payload: birth });
    await spool.append({ seq: 3, topic: 'spBv1.0/Replay/DDATA/E/Good', receivedAt, payload: birth });
    await spool.append({ seq: 4, topic: 'spBv1.0/Replay/DBIRTH/E/Empty', receivedAt, payload: Buffer.alloc(0) });
    await truncate(join(dir, name(2)), (await stat(join(dir, name(2)))).size - 1);
    await writeFile(join(dir, name(9)), 'no header line');

    ingestor = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: env.db.url('uns_meta_app'), INGEST_SPOOL_DIR: dir });
    await waitFor('the replay', async () => ingestor!.records().some((r) => r.event === 'birth.dead_lettered')
      && (await readdir(dir!)).length === 2);
    await ingestor.pipeline.drained();

    const { rows: metrics } = await env.admin().query<{ uns_path: string }>(
      `select m.uns_path from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.group_id = 'Replay' order by 1`);
    expect(metrics.map((r) => r.uns_path)).toEqual(['Replay/E/Good/Kiln/Temp']);
    const { rows: letters } = await env.admin().query<{ topic: string; payload_size: string }>(
      `select topic, payload_size::text from uns_meta.dead_letters where topic like 'spBv1.0/Replay/%'`);
    expect(letters).toEqual([{ topic: 'spBv1.0/Replay/DBIRTH/E/Empty', payload_size: '0' }]);
    expect((await readdir(dir)).sort()).toEqual([name(2, '.bad'), name(9)]);

    const lines = ingestor.records();
    const pick = (event: string) => lines.filter((r) => r.event === event).map((r) => ({ level: r.level, msg: r.msg }));
    expect(pick('spool.found')).toEqual([{ level: 30, msg: 'the spool holds 4 births from an earlier run; replaying' }]);
    expect(pick('spool.unreadable')).toEqual([
      { level: 50, msg: `spool file ${name(9)} has no readable header; left in place for an operator` },
      { level: 50, msg: `spool file 2 is unreadable (spool file ${join(dir, name(2))} is truncated: ${birth.length - 1} of ${birth.length} payload bytes); moved aside to ${join(dir, name(2, '.bad'))} for an operator` },
    ]);
    expect(pick('spool.foreign_file')).toEqual([{ level: 50, msg: 'spool file 3 is not a birth; removing it from the replay' }]);
    expect(ingestor.pipeline.databaseAvailable()).toBe(true);
  });
});
