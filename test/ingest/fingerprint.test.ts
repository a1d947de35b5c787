// The birth fingerprint (src/ingest/fingerprint.ts) against its documented algorithm, written out here by hand:
// sha-256 of "uns-meta birth fingerprint v1\n" and, per metric, the JSON text of its catalog fields and "\n".
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MetricJson } from '../../src/sparkplug/json-types.ts';
import { BirthFingerprint } from '../../src/ingest/fingerprint.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function fingerprintOf(...chunks: MetricJson[][]): Buffer | undefined {
  const fp = new BirthFingerprint();
  for (const c of chunks) fp.add(c);
  return fp.digest();
}

const pump: MetricJson = {
  name: 'Pump/Speed', alias: '7', timestamp: '1700000000000', datatype: 10, isHistorical: false, doubleValue: 12.5,
  metadata: { description: 'not catalog' },
  properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'rpm' }] },
};
const valve: MetricJson = { name: 'Valve/Open', datatype: 11, isTransient: true, booleanValue: true };

describe('BirthFingerprint', () => {
  it('is sha-256 over the version line and each metric\'s catalog JSON text, one per line', () => {
    const expected = sha256('uns-meta birth fingerprint v1\n'
      + '{"name":"Pump/Speed","alias":"7","datatype":10,"isHistorical":false,"properties":{"keys":["engUnit"],"values":[{"type":12,"stringValue":"rpm"}]}}\n'
      + '{"name":"Valve/Open","datatype":11,"isTransient":true}\n');
    expect(fingerprintOf([pump, valve])).toEqual(expected);
  });

  it('does not depend on values, timestamps, metadata or how the metrics are chunked', () => {
    const again: MetricJson = { ...pump, timestamp: '1800000000000', doubleValue: 99, metadata: { description: 'other' } };
    expect(fingerprintOf([again], [{ ...valve, booleanValue: false }])).toEqual(fingerprintOf([pump, valve]));
    expect(fingerprintOf([pump], [], [valve])).toEqual(fingerprintOf([pump, valve]));
  });

  it('changes with any catalog field, and with the order of the metrics', () => {
    const base = fingerprintOf([pump, valve]);
    const variants: MetricJson[][] = [
      [{ ...pump, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'rps' }] } }, valve],
      [{ ...pump, alias: '8' }, valve],
      [{ ...pump, datatype: 9 }, valve],
      [{ ...pump, isHistorical: true }, valve],
      [pump, { ...valve, isTransient: false }],
      [pump, { ...valve, name: 'Valve/Closed' }],
      [pump],
      [valve, pump],
    ];
    const prints = variants.map((v) => fingerprintOf(v)?.toString('hex'));
    expect(prints.every((p) => p !== undefined && p !== base?.toString('hex'))).toBe(true);
    expect(new Set(prints).size).toBe(variants.length);
  });

  it('is undefined for a birth with an alias-only metric (its name comes from the alias maps)', () => {
    expect(fingerprintOf([pump], [{ alias: '9', datatype: 10 }])).toBeUndefined();
    expect(fingerprintOf([{ name: '', alias: '9', datatype: 10 }, valve])).toBeUndefined();
  });

  it('a metric with neither name nor alias is not alias-only: the birth keeps its fingerprint (ingest_birth judges it)', () => {
    expect(fingerprintOf([{ datatype: 10 }, valve])).toEqual(sha256('uns-meta birth fingerprint v1\n{"datatype":10}\n{"name":"Valve/Open","datatype":11,"isTransient":true}\n'));
  });

  it('hashes the catalog JSON as UTF-8', () => {
    const name = 'Pumpe/Drehzahl °C ✓ 🔥';
    expect(fingerprintOf([{ name, datatype: 10 }])).toEqual(createHash('sha256')
      .update(Buffer.from(`uns-meta birth fingerprint v1\n{"name":"${name}","datatype":10}\n`, 'utf8')).digest());
  });
});
