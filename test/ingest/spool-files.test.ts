// The spool's files, in process: what append() writes is what a reopened spool finds and reads back (the restart the
// ingestor-kill fault test makes as a child process, where no Stryker mutant is active), leftovers of an unfinished
// write are removed at open, and a file cut short is refused on read.
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/ingest/spool.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uns-meta-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const message = (seq: number) => ({
  seq,
  topic: `spBv1.0/G/DBIRTH/E/D${seq}`,
  receivedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, seq % 60)),
  payload: Buffer.from([seq & 0xff, 0x00, 0x0a, 0xff]), // a NUL and a newline inside: the payload is raw bytes
});

describe('the spool on disk', () => {
  it('gives a reopened spool every message appended and not removed, byte for byte, oldest first', async () => {
    const { spool } = await Spool.open(dir);
    for (const seq of [30, 10, 20, 40]) await spool.append(message(seq));
    await spool.remove(40);
    // the oldest held, though it arrived after a newer one
    expect(spool.holdsOlderThan(11)).toBe(true);
    expect(spool.holdsOlderThan(10)).toBe(false);
    expect((await readdir(dir)).sort()).toStrictEqual(['00000000000000000010.msg', '00000000000000000020.msg', '00000000000000000030.msg']);

    const reopened = await Spool.open(dir);
    expect(reopened.unreadable).toStrictEqual([]);
    expect(reopened.spool.sequences()).toStrictEqual([10, 20, 30]);
    expect(reopened.spool.holdsOlderThan(11)).toBe(true);
    expect(reopened.spool.holdsOlderThan(10)).toBe(false);
    for (const seq of [10, 20, 30]) {
      expect(reopened.spool.topicOf(seq)).toBe(message(seq).topic);
      expect(await reopened.spool.read(seq)).toStrictEqual(message(seq));
    }
    expect(reopened.spool.nextSeq()).toBeGreaterThan(30);
    await spool.remove(10);
    expect(spool.holdsOlderThan(21)).toBe(true);
    expect(spool.holdsOlderThan(20)).toBe(false);
    await spool.append(message(5)); // out of order again, after the order was rebuilt
    expect(spool.holdsOlderThan(6)).toBe(true);
    expect(spool.holdsOlderThan(5)).toBe(false);
  });

  it('removes an unfinished write at open, and lists a file without a header line as unreadable', async () => {
    await writeFile(join(dir, '00000000000000000005.tmp'), 'half a message');
    await writeFile(join(dir, '00000000000000000006.msg'), 'no newline here');
    const { spool, unreadable } = await Spool.open(dir);
    expect(unreadable).toStrictEqual(['00000000000000000006.msg']);
    expect(spool.sequences()).toStrictEqual([]);
    expect(await readdir(dir)).toStrictEqual(['00000000000000000006.msg']);
  });

  it('refuses to read a file whose payload was cut short', async () => {
    const { spool } = await Spool.open(dir);
    await spool.append(message(7));
    const path = join(dir, '00000000000000000007.msg');
    await truncate(path, (await stat(path)).size - 1);
    await expect(spool.read(7)).rejects.toThrow(`spool file ${path} is truncated: 3 of 4 payload bytes`);
  });

  it('numbers arrivals after the newest file it finds, even one numbered past the clock (a clock set back)', async () => {
    const ahead = (Date.now() + 3_600_000) * 1000; // an hour ahead: the clock was set back since it was written
    const first = await Spool.open(dir);
    await first.spool.append(message(ahead));
    const { spool } = await Spool.open(dir);
    const next = [spool.nextSeq(), spool.nextSeq(), spool.nextSeq()];
    expect(next[0]).toBeGreaterThan(ahead);
    expect(next[1]).toBeGreaterThan(next[0]!);
    expect(next[2]).toBeGreaterThan(next[1]!);
  });

  it('counts a write in flight as held and older than what arrives after it, and only then', async () => {
    const { spool } = await Spool.open(dir);
    const writing = spool.append(message(50));
    expect(spool.busy).toBe(true);
    expect(spool.depth).toBe(1);
    expect(spool.holdsOlderThan(51)).toBe(true);
    expect(spool.holdsOlderThan(50)).toBe(false);
    await writing;
    expect(spool.busy).toBe(false);
    expect(spool.depth).toBe(1);
    expect(spool.holdsOlderThan(51)).toBe(true);
    expect(spool.holdsOlderThan(50)).toBe(false);
    await spool.remove(50);
    expect(spool.depth).toBe(0);
    expect(spool.holdsOlderThan(51)).toBe(false);
  });
});
