// Small births whose order can be checked afterwards: birth k of a device carries one metric `value` with the
// property `n` = k, so every birth changes the metric and its versions list the n's in the order applied.
import type pg from 'pg';
import { encodePayload } from '../../../src/sparkplug/encode.ts';

// With `metrics` > 1 the birth also carries m1 … m<metrics-1>, each with the same `n`, so its sync takes several
// Canary batches.
export function numberedBirth(k: number, metrics = 1): Buffer {
  const names = ['value', ...Array.from({ length: metrics - 1 }, (_, i) => `m${i + 1}`)];
  return encodePayload({
    timestamp: String(1_700_000_000_000 + k),
    seq: '0',
    metrics: names.map((name) => ({ name, datatype: 3, intValue: k, properties: { keys: ['n'], values: [{ type: 3, intValue: k }] } })),
  });
}

/** The n of every version of the device's `value` metric, in version order (rebuilt by the history functions: a
 * `created` version does not repeat the properties). */
export async function appliedOrder(pool: pg.Pool, devicePath: string): Promise<number[]> {
  const { rows } = await pool.query<{ n: string }>(
    `select (select p.value_int from uns_meta.metric_properties_at_version(v.metric_id, v.version_no) as p where p.key = 'n') as n
       from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id)
      where d.uns_path = $1 and m.name = 'value' order by v.version_no`, [devicePath]);
  return rows.map((r) => Number(r.n));
}
