// Every Sparkplug property type, at its limits, from the birth's canonical JSON to what the simulator stores:
// value and JSON type. The expected Canary values are written here by hand from the Sparkplug rules
// (docs/schema.md, docs/worker.md), never from the worker's or the database's own JSON.
import { describe, expect, it } from 'vitest';
import { allInSync, canaryProps, ingest, parity, startTestWorker, TAG, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

type PV = Record<string, unknown>;

/** A DBIRTH of device `device` with one metric per entry, each carrying exactly the given PropertyValues. */
function rawBirth(device: string, metrics: Record<string, [string, PV][]>): unknown {
  return {
    topic: `spBv1.0/Secil/DBIRTH/Portugal/${device}`,
    payload: {
      metrics: Object.entries(metrics).map(([name, props]) => ({
        name, datatype: 10,
        properties: { keys: props.map(([k]) => k), values: props.map(([, v]) => v) },
      })),
    },
  };
}

// Each case: the PropertyValue as it arrives on the wire (raw uint32 in intValue, 64-bit in longValue as decimal
// text) and the value Canary must hold, with its JSON type.
const integers: [string, PV, unknown][] = [
  ['Int8 -1 (Tahu writes uint32)', { type: 1, intValue: 4294967295 }, -1],
  ['Int8 -128 (as 8 bits)', { type: 1, intValue: 128 }, -128],
  ['Int8 127', { type: 1, intValue: 127 }, 127],
  ['Int16 -32768', { type: 2, intValue: 4294934528 }, -32768],
  ['Int16 32767', { type: 2, intValue: 32767 }, 32767],
  ['Int32 Quality', { type: 3, intValue: 2147484164 }, -2147483132],
  ['Int32 max', { type: 3, intValue: 2147483647 }, 2147483647],
  ['Int32 zero', { type: 3, intValue: 0 }, 0],
  ['Int64 min', { type: 4, longValue: '9223372036854775808' }, -9223372036854775808],
  ['Int64 -1', { type: 4, longValue: '18446744073709551615' }, -1],
  ['Int64 2^53+1', { type: 4, longValue: '9007199254740993' }, 9007199254740992],
  ['UInt8 255', { type: 5, intValue: 255 }, 255],
  ['UInt16 65535', { type: 6, intValue: 65535 }, 65535],
  ['UInt32 max in intValue', { type: 7, intValue: 4294967295 }, 4294967295],
  ['UInt32 max in longValue', { type: 7, longValue: '4294967295' }, 4294967295],
  ['UInt64 max', { type: 8, longValue: '18446744073709551615' }, 2 ** 64], // a JSON number: the nearest double
  ['UInt64 zero', { type: 8, longValue: '0' }, 0],
];

const floats: [string, PV, unknown][] = [
  ['Float 0.1', { type: 9, floatValue: 0.10000000149011612 }, 0.1],
  ['Float max', { type: 9, floatValue: 3.4028234663852886e38 }, 3.4028235e38],
  ['Float NaN', { type: 9, floatValue: 'NaN' }, 'NaN'],
  ['Float -Infinity', { type: 9, floatValue: '-Infinity' }, '-Infinity'],
  ['Double max', { type: 10, doubleValue: 1.7976931348623157e308 }, 1.7976931348623157e308],
  ['Double min subnormal', { type: 10, doubleValue: 5e-324 }, 5e-324],
  ['Double -1450.25', { type: 10, doubleValue: -1450.25 }, -1450.25],
  ['Double NaN', { type: 10, doubleValue: 'NaN' }, 'NaN'],
  ['Double Infinity', { type: 10, doubleValue: 'Infinity' }, 'Infinity'],
  ['Double -Infinity', { type: 10, doubleValue: '-Infinity' }, '-Infinity'],
];

const others: [string, PV, unknown][] = [
  ['Boolean true', { type: 11, booleanValue: true }, true],
  ['Boolean false', { type: 11, booleanValue: false }, false],
  ['String', { type: 12, stringValue: 'Outão — FORA SERVIÇO 🏭' }, 'Outão — FORA SERVIÇO 🏭'],
  ['String empty', { type: 12, stringValue: '' }, ''],
  ['Text', { type: 14, stringValue: 'multi\nline' }, 'multi\nline'],
  ['UUID', { type: 15, stringValue: '0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f' }, '0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f'],
  ['Int32 null', { type: 3, isNull: true }, null],
  ['String null', { type: 12, isNull: true }, null],
  ['Double null', { type: 10, isNull: true }, null],
];

// 2025-09-29T10:24:10.931Z in ms since the epoch
const DATETIME_MS = 1759141450931;

describe('every property type reaches Canary with its exact value and JSON type', () => {
  it('integers, floats, booleans, strings, nulls, DateTime and nested sets', async () => {
    const nested: [string, PV][] = [
      ['limits', { type: 20, propertysetValue: { keys: ['high', 'alarm'], values: [
        { type: 2, intValue: 4294967294 },
        { type: 20, propertysetValue: { keys: ['setpoint'], values: [{ type: 9, floatValue: 85.5 }] } },
      ] } }],
      ['alarms', { type: 21, propertysetsValue: { propertyset: [
        { keys: ['name', 'on'], values: [{ type: 12, stringValue: 'High' }, { type: 11, booleanValue: true }] },
        { keys: ['after'], values: [{ type: 7, longValue: '4294967295' }] },
      ] } }],
    ];
    await ingest(fx.db, rawBirth('Types', {
      'T/integers': integers.map(([k, v]) => [k, v]),
      'T/floats': floats.map(([k, v]) => [k, v]),
      'T/others': [...others.map(([k, v]): [string, PV] => [k, v]), ['DateTime', { type: 13, longValue: String(DATETIME_MS) }]],
      'T/nested': nested,
    }));
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await waitFor('the Types device in sync', () => allInSync(fx.db));

    expect(canaryProps(fx.sim, TAG('T/integers', 'Types'))).toStrictEqual(Object.fromEntries(integers.map(([k, , e]) => [k, e])));
    expect(canaryProps(fx.sim, TAG('T/floats', 'Types'))).toStrictEqual(Object.fromEntries(floats.map(([k, , e]) => [k, e])));

    const { DateTime: dateTime, ...rest } = canaryProps(fx.sim, TAG('T/others', 'Types'));
    expect(rest).toStrictEqual(Object.fromEntries(others.map(([k, , e]) => [k, e])));
    // an ISO 8601 string with an offset (the zone is the session's), naming the same instant
    expect(dateTime).toMatch(/^2025-09-\d\dT\d\d:\d\d:10\.931(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(dateTime as string)).toBe(DATETIME_MS);

    // the set markers (`limits`, `alarms`, `limits/alarm`, `alarms/0`, `alarms/1`) carry no value and are not sent
    expect(canaryProps(fx.sim, TAG('T/nested', 'Types'))).toStrictEqual({
      'limits/high': -2,
      'limits/alarm/setpoint': 85.5,
      'alarms/0/name': 'High',
      'alarms/0/on': true,
      'alarms/1/after': 4294967295,
    });

    const rows = await parity(fx.db);
    expect(rows.map((r) => [r.canary_tag, r.status]).sort()).toEqual(
      ['T/floats', 'T/integers', 'T/nested', 'T/others'].map((m) => [TAG(m, 'Types'), 'in_sync']));
  });
});
