// The durable on-disk spool: one file per MQTT message, `<seq>.msg`, named by its 20-digit arrival sequence
// number so a directory listing sorts in arrival order. A file is a one-line JSON header
// (`{"v":1,"seq":..,"topic":..,"receivedAt":..,"size":..}`) followed by exactly `size` raw payload bytes.
// It is written to `<seq>.tmp`, fsynced, renamed and the directory fsynced before append() resolves, so a
// message the ingestor has accepted survives a crash. Leftover .tmp files (a crash mid-write, never
// acknowledged) are removed at open. Replay reads files back in sequence order and removes each one once the
// database has it (ingested or dead-lettered).
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpooledMessage {
  seq: number;
  topic: string;
  receivedAt: Date;
  payload: Buffer;
}

interface Entry {
  topic: string;
}

const SUFFIX = '.msg';
const NAME = /^(\d{20})\.msg$/;

function fileName(seq: number): string {
  return String(seq).padStart(20, '0') + SUFFIX;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function readHeader(path: string): Promise<{ header: { seq: number; topic: string; receivedAt: string; size: number }; offset: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl < 0) throw new Error(`spool file ${path} has no header line`);
    return { header: JSON.parse(buf.subarray(0, nl).toString('utf8')) as { seq: number; topic: string; receivedAt: string; size: number }, offset: nl + 1 };
  } finally {
    await fh.close();
  }
}

export class Spool {
  readonly dir: string;
  private readonly entries = new Map<number, Entry>();
  // The entries' seqs in ascending order, for the oldest: appended while files arrive in order (the usual case),
  // re-sorted after one arrives out of order; removed ones are skipped from the head.
  private order: number[] = [];
  private orderHead = 0;
  private ordered = true;
  private readonly writing = new Set<number>(); // sequence numbers of the writes in flight
  private lastSeq = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creates) the spool directory, removes unfinished writes and indexes what it holds. */
  static async open(dir: string): Promise<{ spool: Spool; unreadable: string[] }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new Spool(dir);
    const unreadable: string[] = [];
    for (const name of await readdir(dir)) {
      if (name.endsWith('.tmp')) {
        await unlink(join(dir, name));
        continue;
      }
      const m = NAME.exec(name);
      if (!m?.[1]) continue;
      const seq = Number(m[1]);
      try {
        const { header } = await readHeader(join(dir, name));
        spool.add(seq, { topic: header.topic });
      } catch {
        unreadable.push(name);
        continue;
      }
      spool.lastSeq = Math.max(spool.lastSeq, seq);
    }
    return { spool, unreadable };
  }

  /** The next arrival sequence number (for every message, spooled or not, so order survives a detour here). */
  nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }

  /** Messages in the spool, including those being written. */
  get depth(): number {
    return this.entries.size + this.writing.size;
  }

  /** True while a write has not completed (replay waits: a lower sequence number may still appear). */
  get busy(): boolean {
    return this.writing.size > 0;
  }

  /** True when the spool holds, or is writing, a message that arrived before `seq`. */
  holdsOlderThan(seq: number): boolean {
    for (const s of this.writing) if (s < seq) return true;
    const oldest = this.oldest();
    return oldest !== undefined && oldest < seq;
  }

  private add(seq: number, entry: Entry): void {
    this.entries.set(seq, entry);
    if (this.order.length > 2 * this.entries.size + 1024) this.ordered = false; // mostly removed ones: rebuild
    else if (this.order.length > this.orderHead && seq < this.order[this.order.length - 1]!) this.ordered = false;
    if (this.ordered) this.order.push(seq);
  }

  private oldest(): number | undefined {
    if (!this.ordered) {
      this.order = this.sequences();
      this.orderHead = 0;
      this.ordered = true;
    }
    while (this.orderHead < this.order.length && !this.entries.has(this.order[this.orderHead]!)) this.orderHead++;
    return this.order[this.orderHead];
  }

  /** Sequence numbers of the complete files, in arrival order. */
  sequences(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  topicOf(seq: number): string | undefined {
    return this.entries.get(seq)?.topic;
  }

  /** Writes the message durably; resolves once it is on disk (fsynced, renamed, directory fsynced). */
  async append(msg: SpooledMessage): Promise<void> {
    this.writing.add(msg.seq);
    try {
      const name = fileName(msg.seq);
      const tmp = join(this.dir, name.replace(SUFFIX, '.tmp'));
      const header = JSON.stringify({ v: 1, seq: msg.seq, topic: msg.topic, receivedAt: msg.receivedAt.toISOString(), size: msg.payload.length }) + '\n';
      try {
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writev([Buffer.from(header, 'utf8'), msg.payload]);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(this.dir, name));
      } catch (err) {
        // A full disk leaves a partial .tmp: remove it so it does not hold the space the next write needs.
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      fsyncDir(this.dir);
      this.add(msg.seq, { topic: msg.topic });
    } finally {
      this.writing.delete(msg.seq);
    }
  }

  async read(seq: number): Promise<SpooledMessage> {
    const path = join(this.dir, fileName(seq));
    const { header, offset } = await readHeader(path);
    const data = await readFile(path);
    const payload = data.subarray(offset);
    if (payload.length !== header.size) {
      throw new Error(`spool file ${path} is truncated: ${payload.length} of ${header.size} payload bytes`);
    }
    return { seq, topic: header.topic, receivedAt: new Date(header.receivedAt), payload };
  }

  /** Moves an unreadable file aside (`<seq>.bad`), out of the replay; returns its path. */
  async quarantine(seq: number): Promise<string> {
    const from = join(this.dir, fileName(seq));
    const to = from.replace(SUFFIX, '.bad');
    await rename(from, to).catch(() => undefined);
    this.entries.delete(seq);
    return to;
  }

  async remove(seq: number): Promise<void> {
    await unlink(join(this.dir, fileName(seq))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.entries.delete(seq);
  }
}
