// Runs jobs in arrival order per device, different devices in parallel up to a bound. A DBIRTH job waits for
// every earlier job of its device and for an earlier NBIRTH of its edge node (whose alias map it may need); an
// NBIRTH job waits for every earlier job of its edge node. Everything else runs as soon as a slot is free.
export interface Job {
  /** `group/edge` of the edge node. */
  node: string;
  /** The device id for a DBIRTH; undefined for an NBIRTH (an edge-node-wide job). */
  device: string | undefined;
  run(): Promise<void>;
}

export class DeviceScheduler {
  private readonly pending: Job[] = [];
  private readonly running = new Set<Job>();
  private readonly limit: number;
  private idleWaiters: (() => void)[] = [];

  constructor(concurrency: number) {
    this.limit = concurrency;
  }

  /** Jobs waiting or running. */
  get size(): number {
    return this.pending.length + this.running.size;
  }

  push(job: Job): void {
    this.pending.push(job);
    this.pump();
  }

  /** Removes and returns the jobs that have not started (used at shutdown). */
  drainPending(): Job[] {
    return this.pending.splice(0, this.pending.length);
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.running.size >= this.limit || this.pending.length === 0) return;
    const busyDevices = new Set<string>();
    const nodeWide = new Set<string>(); // an NBIRTH running or waiting ahead
    const nodesWithDevices = new Set<string>(); // a DBIRTH running or waiting ahead
    for (const j of this.running) this.mark(j, busyDevices, nodeWide, nodesWithDevices);
    for (let i = 0; i < this.pending.length && this.running.size < this.limit; ) {
      const job = this.pending[i] as Job;
      const free = job.device === undefined
        ? !nodeWide.has(job.node) && !nodesWithDevices.has(job.node)
        : !nodeWide.has(job.node) && !busyDevices.has(`${job.node}/${job.device}`);
      this.mark(job, busyDevices, nodeWide, nodesWithDevices);
      if (!free) {
        i++;
        continue;
      }
      this.pending.splice(i, 1);
      this.start(job);
    }
  }

  private mark(job: Job, busyDevices: Set<string>, nodeWide: Set<string>, nodesWithDevices: Set<string>): void {
    if (job.device === undefined) nodeWide.add(job.node);
    else {
      busyDevices.add(`${job.node}/${job.device}`);
      nodesWithDevices.add(job.node);
    }
  }

  private start(job: Job): void {
    this.running.add(job);
    void job.run().catch(() => undefined).finally(() => {
      this.running.delete(job);
      this.pump();
      if (this.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }
}
