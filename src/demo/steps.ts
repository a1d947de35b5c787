// The demo's steps against a running DemoStack: publish the embedded birth, wait for the catalog, wait for Canary
// parity, read back what the simulator stored, prove a repeated birth is a no-op. Each returns what it observed.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import type pg from 'pg';
import { syncSelection } from '../worker/sync.ts';
import { demoSql } from './sql.ts';
import type { DemoStack, Say } from './stack.ts';

export const embeddedBirth = {
  topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement',
  devicePath: 'Secil/Portugal/Cement',
  file: new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.bin', import.meta.url),
};

export interface DeviceState {
  device_id: string;
  live_metrics: number;
  versions: number;
}

export class DemoError extends Error {}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

export async function status(pool: pg.Pool): Promise<{ role: string; db: string; debounce: string; debounce_seconds: number }> {
  const row = (await pool.query<{ role: string; db: string; debounce: string; debounce_seconds: number }>(demoSql.status)).rows[0];
  if (!row) throw new DemoError('the status query returned no row');
  return row;
}

async function deviceState(pool: pg.Pool): Promise<DeviceState | undefined> {
  return (await pool.query<DeviceState>(demoSql['device-state'], [embeddedBirth.devicePath])).rows[0];
}

async function counterValue(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** storeData requests the simulator has received so far. */
function canaryWrites(stack: DemoStack): number {
  const byMethod = stack.sim.state.stats().requests.byMethod;
  return Object.entries(byMethod)
    .filter(([method]) => method.toLowerCase() === 'storedata')
    .reduce((sum, [, outcomes]) => sum + Object.values(outcomes).reduce((a, b) => a + b, 0), 0);
}

/** Publishes the embedded DBIRTH and waits until the ingestor committed it; returns the device before and after. */
export async function publishAndCommit(stack: DemoStack, pool: pg.Pool, say: Say): Promise<{ before: DeviceState | undefined; after: DeviceState }> {
  const metrics = stack.ingestor.metrics;
  const before = await deviceState(pool);
  const [ingested0, failed0] = [await counterValue(metrics.birthsIngested), await counterValue(metrics.deadLettered)];
  const payload = await readFile(embeddedBirth.file);
  const client = await mqtt.connectAsync(stack.broker.url, { clientId: `uns-meta-demo-${process.pid}`, reconnectPeriod: 0 });
  try {
    await client.publishAsync(embeddedBirth.topic, payload, { qos: 1 });
  } finally {
    await client.endAsync();
  }
  say(`published ${embeddedBirth.topic} (${payload.length} bytes, fixtures/sparkplug/plant-dbirth-portugal-cement.bin)`);
  await waitUntil('the ingestor to commit the birth', 20_000, async () => {
    if (await counterValue(metrics.deadLettered) > failed0) {
      throw new DemoError('the ingestor dead-lettered the birth (see uns_meta.dead_letters and the log lines above)');
    }
    return (await counterValue(metrics.birthsIngested)) > ingested0 ? true : undefined;
  });
  const after = await deviceState(pool);
  if (!after) throw new DemoError(`the ingestor reported the birth committed, but no device ${embeddedBirth.devicePath} is in the catalog`);
  return { before, after };
}

/** The analysts' view: uns_meta.metric_hierarchy for the device. */
export async function showHierarchy(pool: pg.Pool, deviceId: string, say: Say): Promise<void> {
  const { rows } = await pool.query<{ plant: string; area: string; tag: string; canary_id: string; version: number }>(demoSql.hierarchy, [deviceId]);
  say(`uns_meta.metric_hierarchy for device ${deviceId}:`);
  for (const t of rows) say(`  ${t.canary_id} (plant ${t.plant}, area ${t.area}, tag ${t.tag}, version ${t.version})`);
}

interface ParityRow {
  canary_id: string;
  canary_tag: string | null;
  version: number;
  confirmed_version: number | null;
  status: string;
}

/**
 * Waits until uns_meta.canary_parity shows every live metric of the device in sync. When the birth changed nothing
 * (an earlier run already put it in the catalog) no job is queued and this run's simulator starts empty, so the
 * device is re-sent in full first, as `uns-meta canary resync --device <id>` would.
 */
export async function syncToCanary(stack: DemoStack, pool: pg.Pool, deviceId: string, changed: boolean, debounceSeconds: number, say: Say): Promise<ParityRow[]> {
  if (!changed) {
    say(`the catalog already held this birth (an earlier run); re-sending device ${deviceId} to this run's empty simulator`);
    await syncSelection(stack.worker.deps, { deviceId }, { force: true, dryRun: false, deadLetterTransient: false, attempts: 1 });
  } else {
    say(`waiting for the debounced canary_sync_device job (debounce_interval ${debounceSeconds} s)`);
  }
  const timeoutMs = (debounceSeconds + 20) * 1000;
  const rows = await waitUntil('uns_meta.canary_parity to show every metric in_sync', timeoutMs, async () => {
    const { rows } = await pool.query<ParityRow>(demoSql.parity, [deviceId]);
    const dead = rows.find((r) => r.status === 'dead_letter');
    if (dead) throw new DemoError(`Canary refused ${dead.canary_id} (see uns_meta.canary_dead_letters)`);
    return rows.length > 0 && rows.every((r) => r.status === 'in_sync') ? rows : undefined;
  });
  say(`uns_meta.canary_parity: ${rows.filter((r) => r.status === 'in_sync').length}/${rows.length} in_sync`);
  return rows;
}

/** Reads back, over the simulator's /sim/tags/<tag>/properties route, what Canary now holds for a tag. */
export async function showSimulatorTag(stack: DemoStack, tag: string, say: Say): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.sim.url}/sim/tags/${encodeURIComponent(tag)}/properties`);
  if (!res.ok) throw new DemoError(`the simulator holds no properties for ${tag} (HTTP ${res.status})`);
  const body = (await res.json()) as { properties: Record<string, { value: unknown }> };
  const values = Object.fromEntries(Object.entries(body.properties).map(([name, p]) => [name, p.value]));
  say(`simulator holds ${tag}: ${JSON.stringify(values)}`);
  return values;
}

/** Publishes the same birth again; it must add no version and cause no Canary write (waits out the debounce). */
export async function rebirthIsNoop(stack: DemoStack, pool: pg.Pool, debounceSeconds: number, say: Say): Promise<void> {
  const writesBefore = canaryWrites(stack);
  const { before, after } = await publishAndCommit(stack, pool, say);
  await sleep(debounceSeconds * 1000 + 3 * stack.workerPollMs);
  const writesAfter = canaryWrites(stack);
  const line = `metric versions ${before?.versions ?? 0} -> ${after.versions}, Canary storeData requests ${writesBefore} -> ${writesAfter}`;
  if (before?.versions !== after.versions || writesAfter !== writesBefore) throw new DemoError(`the same birth again was not a no-op: ${line}`);
  say(`re-birth is a no-op: ${line}`);
}
