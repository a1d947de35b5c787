// What the worker sends to Canary for each kind of change: the simulator is a real HTTP server, the catalog a real
// Postgres clone, changes come from uns_meta.ingest_birth.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runOperatorSync } from '../../src/worker/index.ts';
import { configFor } from '../support/database.ts';
import { allInSync, birth, canaryProps, ingest, parity, setDebounce, startTestWorker, storeRequests, syncDevice, TAG, testConfig, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

const tagsWritten = (afterSeq = 0) => storeRequests(fx.sim).filter((r) => r.seq > afterSeq).flatMap((r) => r.tagPaths);
const lastSeq = () => storeRequests(fx.sim).at(-1)?.seq ?? 0;

const syncNow = (device: string) => syncDevice(fx, device);

// Each case has a device of its own and makes the state it starts from: the cases run in any order, alone or together.
describe('canary_sync_device', () => {
  it('a burst of births within the debounce window → one write per changed metric, carrying the final state', async () => {
    await setDebounce(fx.db, '1 second');
    try {
      await ingest(fx.db, birth('Burst', { 'Kiln/Temp': { engUnit: '°F', documentation: 'draft' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
      await ingest(fx.db, birth('Burst', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
      await ingest(fx.db, birth('Burst', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
      expect((await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount).toBe(1);
      await syncNow('Burst');
    } finally {
      await setDebounce(fx.db, '0 seconds');
    }
    const tags = tagsWritten();
    expect(tags.filter((t) => t === TAG('Kiln/Temp', 'Burst'))).toHaveLength(1);
    expect(tags.filter((t) => t === TAG('Kiln/Speed', 'Burst'))).toHaveLength(1);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Burst'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln temperature', 'Default High Scale': 1450.5 });
    expect(canaryProps(fx.sim, TAG('Kiln/Speed', 'Burst'))).toEqual({ 'Eng Units': 'rpm' });
    const rows = (await parity(fx.db)).filter((r) => r.uns_path.startsWith('Secil/Portugal/Burst/'));
    expect(rows.map((r) => r.canary_tag).sort()).toEqual([TAG('Kiln/Speed', 'Burst'), TAG('Kiln/Temp', 'Burst')]);
  });

  it('a property-only change sends only that property of that metric; the session is metadata-only', async () => {
    await ingest(fx.db, birth('Prop', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow('Prop');
    const seq = lastSeq();
    await ingest(fx.db, birth('Prop', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow('Prop');
    const requests = storeRequests(fx.sim).filter((r) => r.seq > seq);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.tagPaths).toEqual([TAG('Kiln/Temp', 'Prop')]);
    expect(requests[0]?.propertyRows).toBe(1);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Prop'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln shell temperature', 'Default High Scale': 1450.5 });
    expect(fx.sim.state.tag(TAG('Kiln/Temp', 'Prop'))?.tvqCount).toBe(0);
  });

  it('a birth that changes nothing Canary holds (datatype only) sends nothing and still records parity', async () => {
    const metrics = { 'Kiln/Temp': { engUnit: '°C' }, 'Kiln/Speed': { engUnit: 'rpm' } };
    await ingest(fx.db, birth('Dtype', metrics));
    await syncNow('Dtype');
    const seq = lastSeq();
    await ingest(fx.db, birth('Dtype', metrics, undefined, { 'Kiln/Speed': { datatype: 9 } }));
    await syncNow('Dtype');
    expect(tagsWritten(seq)).toEqual([]);
    const speed = (await parity(fx.db)).find((r) => r.canary_tag === TAG('Kiln/Speed', 'Dtype'));
    expect(speed).toMatchObject({ status: 'in_sync', version: 2, confirmed_version: 2 });
  });

  it('a removed property is not sent (Canary keeps its last value); re-adding it sends that property alone', async () => {
    const full = { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } };
    await ingest(fx.db, birth('Removed', full));
    await syncNow('Removed');
    let seq = lastSeq();
    await ingest(fx.db, birth('Removed', { ...full, 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature' } }));
    await syncNow('Removed');
    expect(tagsWritten(seq)).toEqual([]);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Removed'))['Default High Scale']).toBe(1450.5);
    seq = lastSeq();
    await ingest(fx.db, birth('Removed', full));
    await syncNow('Removed');
    // the catalog names the version Canary holds, not each value it ever held: the re-added property is sent again
    const requests = storeRequests(fx.sim).filter((r) => r.seq > seq);
    expect(requests.map((r) => [r.tagPaths, r.propertyRows])).toEqual([[[TAG('Kiln/Temp', 'Removed')], 1]]);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Removed'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln shell temperature', 'Default High Scale': 1450.5 });
  });

  it('a path change (lineage) writes the full metadata to the new tag; with a property change too', async () => {
    const metrics = (unit: string) => ({ 'Oven/Temp': { engUnit: unit, documentation: 'Oven shell temperature', engHigh: 1450.5 }, 'Oven/Speed': { engUnit: 'rpm' } });
    await ingest(fx.db, birth('Path', metrics('°C')));
    await syncNow('Path');
    await fx.db.pool('uns_meta_admin').query(
      `insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('/Path/Oven/', '/Path/Oven 1/', 'test')`);
    let seq = lastSeq();
    await ingest(fx.db, birth('Path', metrics('°C')));
    await syncNow('Path');
    expect(tagsWritten(seq).sort()).toEqual([TAG('Oven 1/Speed', 'Path'), TAG('Oven 1/Temp', 'Path')]);
    expect(canaryProps(fx.sim, TAG('Oven 1/Temp', 'Path'))).toEqual({ 'Eng Units': '°C', Description: 'Oven shell temperature', 'Default High Scale': 1450.5 });
    expect(canaryProps(fx.sim, TAG('Oven/Temp', 'Path'))['Eng Units']).toBe('°C'); // the old tag is left as it was

    await fx.db.pool('uns_meta_admin').query(`update uns_meta.path_rewrite_rules set replacement = '/Path/Oven 2/' where pattern = '/Path/Oven/'`);
    seq = lastSeq();
    await ingest(fx.db, birth('Path', metrics('K')));
    await syncNow('Path');
    expect(tagsWritten(seq).sort()).toEqual([TAG('Oven 2/Speed', 'Path'), TAG('Oven 2/Temp', 'Path')]);
    expect(canaryProps(fx.sim, TAG('Oven 2/Temp', 'Path'))).toEqual({ 'Eng Units': 'K', Description: 'Oven shell temperature', 'Default High Scale': 1450.5 });
    const rows = (await parity(fx.db)).filter((r) => r.uns_path.startsWith('Secil/Portugal/Path/'));
    expect(rows.map((r) => r.canary_tag).sort()).toEqual([TAG('Oven 2/Speed', 'Path'), TAG('Oven 2/Temp', 'Path')]);
  });

  it('successive changes are applied in order: each sync carries a later timestamp and Canary ends on the last', async () => {
    const seq = lastSeq();
    for (const unit of ['A', 'B', 'C']) {
      await ingest(fx.db, birth('Order', { 'Kiln/Temp': { engUnit: unit, documentation: 'Kiln shell temperature' } }));
      await syncNow('Order');
    }
    const history = fx.sim.state.tag(TAG('Kiln/Temp', 'Order'))?.propertyHistory.filter((h) => h.name === 'Eng Units') ?? [];
    expect(history.map((h) => h.value)).toEqual(['A', 'B', 'C']);
    expect([...history.map((h) => h.timestamp)].sort()).toEqual(history.map((h) => h.timestamp));
    expect(new Set(history.map((h) => h.timestamp)).size).toBe(3);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Order'))['Eng Units']).toBe('C');
    expect(storeRequests(fx.sim).filter((r) => r.seq > seq)).toHaveLength(3);
  });

  it('maps names through canary_property_names (documentation wins over description), keeps other keys, keeps types, skips transient metrics', async () => {
    await ingest(fx.db, birth('Mill', {
      'Mill/Power': { description: 'fallback', documentation: 'Mill motor power', engLow: 0, tooltip: 'kW', enabled: true, note: null },
      'Mill/Flicker': { engUnit: 'x' },
      // a raw key named like a mapped name loses to the mapped key; description is used without documentation
      'Mill/Raw': { 'Eng Units': 'raw', engUnit: 'mapped', description: 'only description' },
    }, undefined, { 'Mill/Flicker': { isTransient: true } }));
    await syncNow('Mill');
    expect(canaryProps(fx.sim, TAG('Mill/Power', 'Mill'))).toEqual({
      Description: 'Mill motor power', 'Default Low Scale': 0, tooltip: 'kW', enabled: true, note: null,
    });
    expect(canaryProps(fx.sim, TAG('Mill/Raw', 'Mill'))).toEqual({ 'Eng Units': 'mapped', Description: 'only description' });
    expect(fx.sim.state.tag(TAG('Mill/Flicker', 'Mill'))).toBeUndefined();
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ last_outcome: string }>(
      `select last_outcome from uns_meta.canary_parity where uns_path like '%Flicker'`);
    expect(rows[0]?.last_outcome).toBe('skipped_transient');
  });

  it('keys and values that need JSON escaping reach Canary byte for byte, numbers stay numbers', async () => {
    const awkward = {
      'say "hi", then: {go}': 'a "quoted" value, with: commas, {braces} and [brackets]',
      backslash: 'C:\\plant\\kiln\\',
      'line\tbreak': 'first\nsecond\r\u0001 end',
      unicode: 'Forno nº 2 — 1450 °C ✓ 🔥',
      looksNumeric: '1e5',
      empty: '',
      tiny: -1.5e-300,
      huge: 1.7976931348623157e308,
      negativeZero: -0.25,
    };
    await ingest(fx.db, birth('Escape', { 'E/x': awkward }));
    await syncNow('Escape');
    expect(canaryProps(fx.sim, TAG('E/x', 'Escape'))).toEqual(awkward);
  });

  it('written_version names the version whose properties the simulator holds for every confirmed tag of a device', async () => {
    // exact values per type: property-types.test.ts
    await ingest(fx.db, birth('Held', { 'H/a': { engUnit: 'bar', engHigh: 10 }, 'H/b': { documentation: 'b', enabled: false } }));
    await syncNow('Held');
    const seq = lastSeq();
    await ingest(fx.db, birth('Held', { 'H/a': { engUnit: 'mbar', engHigh: 10 }, 'H/b': { documentation: 'b' } }));
    await syncNow('Held');
    const { rows } = await fx.db.pool('uns_meta_app').query<{ canary_tag: string; written_version: number; outcome: string }>(
      `select s.canary_tag, s.written_version, s.outcome from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id)
        where m.uns_path like 'Secil/Portugal/Held/%' order by m.uns_path`);
    expect(rows).toEqual([
      { canary_tag: TAG('H/a', 'Held'), written_version: 2, outcome: 'written' },
      { canary_tag: TAG('H/b', 'Held'), written_version: 2, outcome: 'unchanged' }, // a removed property: nothing to send
    ]);
    expect(storeRequests(fx.sim).filter((r) => r.seq > seq).map((r) => [r.tagPaths, r.propertyRows])).toEqual([[[TAG('H/a', 'Held')], 1]]);
    expect(canaryProps(fx.sim, TAG('H/a', 'Held'))).toEqual({ 'Eng Units': 'mbar', 'Default High Scale': 10 });
    expect(canaryProps(fx.sim, TAG('H/b', 'Held'))).toEqual({ Description: 'b', enabled: false });
  });
});

describe('canary resync --dry-run, in the test process (where a mutation run switches mutants on)', () => {
  it('hands each request it would send to onDryRun, sends nothing and confirms nothing', async () => {
    await ingest(fx.db, birth('Dry', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    const sentBefore = storeRequests(fx.sim).length;
    const printed: string[] = [];
    const report = await runOperatorSync(testConfig(fx.sim, fx.db), {
      action: 'resync', selection: { pathPrefix: 'Secil/Portugal/Dry' }, dryRun: true,
      onDryRun: (json) => printed.push(json), logger: pino({ level: 'silent' }), database: configFor(fx.db.url('uns_meta_app')),
    });
    expect(storeRequests(fx.sim)).toHaveLength(sentBefore);
    expect(fx.sim.state.tags('Secil.Portugal.Dry')).toEqual([]);
    const rows = (await parity(fx.db)).filter((r) => r.uns_path.startsWith('Secil/Portugal/Dry/'));
    expect(rows.map((r) => r.confirmed_version)).toEqual([null, null]);
    expect(printed).toHaveLength(1);
    const request = JSON.parse(printed[0] ?? '{}') as Record<string, [string, string, unknown, number][]>;
    const byName = (tag: string) => Object.fromEntries((request[tag] ?? []).map(([name, , value]) => [name, value]));
    expect(Object.keys(request).sort()).toEqual([TAG('Kiln/Speed', 'Dry'), TAG('Kiln/Temp', 'Dry')]);
    expect(byName(TAG('Kiln/Temp', 'Dry'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln temperature' });
    expect(byName(TAG('Kiln/Speed', 'Dry'))).toEqual({ 'Eng Units': 'rpm' });
    expect(report).toMatchObject({ metrics: 2, requests: 1, written: 0 });
    // the birth's own job then sends what the dry run printed (and leaves no job to the next case)
    await syncNow('Dry');
    expect(canaryProps(fx.sim, TAG('Kiln/Temp', 'Dry'))).toEqual(byName(TAG('Kiln/Temp', 'Dry')));
  });
});

describe('probes', () => {
  it('METRICS_PORT serves /metrics (counts what was written), /healthz and /readyz', async () => {
    fx.worker = await startTestWorker(fx.sim, fx.db, { METRICS_PORT: '0' });
    await ingest(fx.db, birth('Probe', { 'P/x': { engUnit: 'bar' } }));
    await waitFor('in sync', () => allInSync(fx.db));
    const base = `http://127.0.0.1:${fx.worker.probe?.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^uns_meta_canary_tags_written_total 1$/m);
    expect(text).toMatch(/^uns_meta_canary_properties_written_total 1$/m); // engUnit → "Eng Units"
    expect(text).toMatch(/^uns_meta_canary_requests_total\{method="storeData",outcome="Good"\} [1-9]/m);
    expect(text).toContain('uns_meta_canary_end_to_end_seconds_bucket');
    // the rate limits (src/worker/rate-limit.ts): every request waited for a slot of the shared schedule; none waits
    // or is in flight once the device is in sync
    expect(text).toMatch(/^uns_meta_canary_rate_slot_wait_seconds_count [1-9]/m);
    expect(text).toMatch(/^uns_meta_canary_rate_slot_waiting 0$/m);
    expect(text).toMatch(/^uns_meta_canary_requests_in_flight 0$/m);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
