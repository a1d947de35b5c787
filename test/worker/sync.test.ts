// What the worker sends to Canary for each kind of change: the simulator is a real HTTP server, the catalog a real
// Postgres clone, changes come from uns_meta.ingest_birth.
import { describe, expect, it } from 'vitest';
import { allInSync, birth, canaryProps, ingest, parity, setDebounce, startTestWorker, storeRequests, TAG, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

const tagsWritten = (afterSeq = 0) => storeRequests(fx.sim).filter((r) => r.seq > afterSeq).flatMap((r) => r.tagPaths);
const lastSeq = () => storeRequests(fx.sim).at(-1)?.seq ?? 0;

async function syncNow(device = 'Cement'): Promise<void> {
  fx.worker ??= await startTestWorker(fx.sim, fx.db);
  await waitFor(`device ${device} in sync`, () => allInSync(fx.db));
  // the job is done once parity says so; give the runner a moment to complete it
  await waitFor('no job left', async () => (await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount === 0);
}

describe('canary_sync_device', () => {
  it('a burst of births within the debounce window → one write per changed metric, carrying the final state', async () => {
    await setDebounce(fx.db, '1 second');
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°F', documentation: 'draft' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    expect((await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount).toBe(1);
    await syncNow();
    const tags = tagsWritten();
    expect(tags.filter((t) => t === TAG('Kiln/Temp'))).toHaveLength(1);
    expect(tags.filter((t) => t === TAG('Kiln/Speed'))).toHaveLength(1);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln temperature', 'Default High Scale': 1450.5 });
    expect(canaryProps(fx.sim, TAG('Kiln/Speed'))).toEqual({ 'Eng Units': 'rpm' });
    const rows = await parity(fx.db);
    expect(rows.map((r) => r.canary_tag).sort()).toEqual([TAG('Kiln/Speed'), TAG('Kiln/Temp')]);
    await setDebounce(fx.db, '0 seconds');
  });

  it('a property-only change sends only that property of that metric; the session is metadata-only', async () => {
    const seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow();
    const requests = storeRequests(fx.sim).filter((r) => r.seq > seq);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.tagPaths).toEqual([TAG('Kiln/Temp')]);
    expect(requests[0]?.propertyRows).toBe(1);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp')).Description).toBe('Kiln shell temperature');
    expect(fx.sim.state.tag(TAG('Kiln/Temp'))?.tvqCount).toBe(0);
  });

  it('a birth that changes nothing Canary holds (datatype only) sends nothing and still records parity', async () => {
    const seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } },
      undefined, { 'Kiln/Speed': { datatype: 9 } }));
    await syncNow();
    expect(tagsWritten(seq)).toEqual([]);
    const speed = (await parity(fx.db)).find((r) => r.canary_tag === TAG('Kiln/Speed'));
    expect(speed).toMatchObject({ status: 'in_sync', version: 2, confirmed_version: 2 });
  });

  it('a removed property is not sent (Canary keeps its last value); re-adding it with the same value sends nothing', async () => {
    let seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature' }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow();
    expect(tagsWritten(seq)).toEqual([]);
    expect(canaryProps(fx.sim, TAG('Kiln/Temp'))['Default High Scale']).toBe(1450.5);
    seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow();
    expect(tagsWritten(seq)).toEqual([]);
  });

  it('a path change (lineage) writes the full metadata to the new tag; with a property change too', async () => {
    await fx.db.pool('uns_meta_admin').query(
      `insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('/Kiln/', '/Kiln 1/', 'test')`);
    let seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: '°C', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow();
    expect(tagsWritten(seq).sort()).toEqual([TAG('Kiln 1/Speed'), TAG('Kiln 1/Temp')]);
    expect(canaryProps(fx.sim, TAG('Kiln 1/Temp'))).toEqual({ 'Eng Units': '°C', Description: 'Kiln shell temperature', 'Default High Scale': 1450.5 });
    expect(canaryProps(fx.sim, TAG('Kiln/Temp'))['Eng Units']).toBe('°C'); // the old tag is left as it was

    await fx.db.pool('uns_meta_admin').query(`update uns_meta.path_rewrite_rules set replacement = '/Kiln 2/'`);
    seq = lastSeq();
    await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: 'K', documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
    await syncNow();
    expect(tagsWritten(seq).sort()).toEqual([TAG('Kiln 2/Speed'), TAG('Kiln 2/Temp')]);
    expect(canaryProps(fx.sim, TAG('Kiln 2/Temp'))).toEqual({ 'Eng Units': 'K', Description: 'Kiln shell temperature', 'Default High Scale': 1450.5 });
    expect((await parity(fx.db)).every((r) => r.canary_tag?.includes('Kiln 2'))).toBe(true);
  });

  it('successive changes are applied in order: each sync carries a later timestamp and Canary ends on the last', async () => {
    const seq = lastSeq();
    for (const unit of ['A', 'B', 'C']) {
      await ingest(fx.db, birth('Cement', { 'Kiln/Temp': { engUnit: unit, documentation: 'Kiln shell temperature', engHigh: 1450.5 }, 'Kiln/Speed': { engUnit: 'rpm' } }));
      await syncNow();
    }
    const history = fx.sim.state.tag(TAG('Kiln 2/Temp'))?.propertyHistory.filter((h) => h.name === 'Eng Units') ?? [];
    const last3 = history.slice(-3);
    expect(last3.map((h) => h.value)).toEqual(['A', 'B', 'C']);
    expect([...last3.map((h) => h.timestamp)].sort()).toEqual(last3.map((h) => h.timestamp));
    expect(new Set(last3.map((h) => h.timestamp)).size).toBe(3);
    expect(canaryProps(fx.sim, TAG('Kiln 2/Temp'))['Eng Units']).toBe('C');
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

  it('the parity view matches the simulator: every confirmed tag holds exactly the confirmed properties', async () => {
    const { rows } = await fx.db.pool('uns_meta_app').query<{ canary_tag: string; confirmed_properties: Record<string, unknown> }>(
      `select canary_tag, confirmed_properties from uns_meta.canary_sync_state where outcome in ('written', 'unchanged') and canary_tag is not null`);
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) expect(canaryProps(fx.sim, row.canary_tag)).toEqual(row.confirmed_properties);
    expect(await allInSync(fx.db)).toBe(true);
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
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
