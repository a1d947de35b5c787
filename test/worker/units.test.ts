// Pure pieces of the worker: batching limits, attribution of Canary's per-tag errors, configuration errors, job payloads.
import { describe, expect, it } from 'vitest';
import { toBatches, type TagWrite } from '../../src/worker/batches.ts';
import { attributeErrors } from '../../src/worker/canary-client.ts';
import { propertyRowsJson } from '../../src/worker/property-rows.ts';
import { loadWorkerConfig } from '../../src/runtime/config/worker.ts';
import { databaseSchema } from '../../src/runtime/config/common.ts';
import { ConfigError, configErrorLine, resolveEnv } from '../../src/runtime/env.ts';
import { sessionSettings } from '../../src/worker/canary-client.ts';
import { parseDeviceId } from '../../src/worker/index.ts';
import { confirmValues } from '../../src/worker/sync.ts';
import { createWorkerMetrics } from '../../src/worker/metrics.ts';

const write = (tag: string, bytes = 10): TagWrite<null> =>
  ({ tag, rowsJson: JSON.stringify([['Description', '2026-01-01T00:00:00Z', 'x'.repeat(bytes), 192]]), rowCount: 1, item: null });

describe('toBatches', () => {
  it('at most maxTags tags per request', () => {
    const batches = toBatches(Array.from({ length: 250 }, (_, i) => write(`D.t${i}`)), 100, 1_000_000);
    expect(batches.map((b) => b.writes.length)).toEqual([100, 100, 50]);
  });
  it('at most maxBytes of JSON per request, measured as sent; an oversized tag goes alone', () => {
    const batches = toBatches([write('D.a', 300), write('D.b', 300), write('D.c', 3000), write('D.d', 10)], 100, 1024);
    expect(batches.map((b) => b.writes.map((w) => w.tag))).toEqual([['D.a', 'D.b'], ['D.c'], ['D.d']]);
    for (const b of batches.filter((x) => x.writes.length > 1)) {
      const body = JSON.stringify({ sessionToken: '00000000-0000-0000-0000-000000000000', properties: Object.fromEntries(b.writes.map((w) => [w.tag, JSON.parse(w.rowsJson) as unknown])) });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024);
    }
  });
  it('the properties JSON of a batch is its tags and their rows, in order', () => {
    const [batch, ...rest] = toBatches([write('D.a', 1), write('D.b', 2)], 100, 1_000_000);
    expect(rest).toEqual([]);
    expect(JSON.parse(batch!.json)).toEqual({ 'D.a': JSON.parse(write('D.a', 1).rowsJson) as unknown, 'D.b': JSON.parse(write('D.b', 2).rowsJson) as unknown });
    expect(Object.keys(JSON.parse(batch!.json) as object)).toEqual(['D.a', 'D.b']);
  });
  it('no writes, no request; an oversized first tag is one request, never an empty one before it', () => {
    expect(toBatches([], 100, 1_000_000)).toEqual([]);
    const batches = toBatches([write('D.big', 3000), write('D.small', 10)], 100, 1024);
    expect(batches.map((b) => b.writes.map((w) => w.tag))).toEqual([['D.big'], ['D.small']]);
    expect(batches.map((b) => JSON.parse(b.json) as unknown)).toEqual([
      { 'D.big': JSON.parse(write('D.big', 3000).rowsJson) as unknown }, { 'D.small': JSON.parse(write('D.small', 10).rowsJson) as unknown }]);
  });
  it('a request fills up to maxBytes exactly: 128 bytes for the envelope, then each "tag":rows fragment and its comma', () => {
    const writes = [write('D.a', 100), write('D.b', 200)];
    const counted = 128 + writes.reduce((n, w) => n + Buffer.byteLength(`"${w.tag}":${w.rowsJson}`) + 1, 0);
    const exact = toBatches(writes, 100, counted);
    expect(exact.map((b) => b.writes.length)).toEqual([2]);
    expect(exact[0]!.bytes).toBe(counted);
    expect(toBatches(writes, 100, counted - 1).map((b) => b.writes.length)).toEqual([1, 1]);
  });
});

describe('propertyRowsJson', () => {
  const TS = '2026-12-05T03:19:17.123456Z';
  const viaObjects = (json: string) => (Object.entries(JSON.parse(json) as Record<string, unknown>)).map(([k, v]) => [k, TS, v, 192]);

  it('rewrites a compact JSON object into [name, timestamp, value, quality] rows, escapes kept', () => {
    const json = JSON.stringify({ 'Eng Units': 'degC', 'a "b", c: {d}': 'x\\"y",z:[1]}', n: -1.5e-300, big: 1e308, t: true, f: false, z: null, u: 'é✓🔥\u0001' });
    expect(JSON.parse(propertyRowsJson(json, TS, 192))).toEqual(viaObjects(json));
    expect(propertyRowsJson('{"Eng Units":"degC","High":12.5}', TS, 0)).toBe(`[["Eng Units","${TS}","degC",0],["High","${TS}",12.5,0]]`);
    expect(propertyRowsJson('{}', TS, 192)).toBe('[]');
  });

  it('agrees with parse-and-serialize on 2000 random objects of awkward strings and numbers', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['a', ' ', '"', '\\', ',', ':', '{', '}', '[', ']', '\n', '\t', '\u0000', 'é', '🔥', '1', 'e', '-', '.'];
    const text = () => Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    const value = () => {
      const r = rand();
      if (r < 0.5) return text();
      if (r < 0.7) return (rand() - 0.5) * 10 ** Math.floor(rand() * 600 - 300);
      if (r < 0.8) return Math.floor(rand() * 1e6);
      return r < 0.9 ? rand() < 0.5 : null;
    };
    for (let i = 0; i < 2000; i++) {
      const json = JSON.stringify(Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 10) }, () => [text(), value()])));
      expect(JSON.parse(propertyRowsJson(json, TS, 192))).toEqual(viaObjects(json));
    }
  });

  it('refuses text that is not an object', () => {
    expect(() => propertyRowsJson('[1]', TS, 192)).toThrow(/must be a JSON object/);
    expect(() => propertyRowsJson('{"a":1', TS, 192)).toThrow('properties_json must be a JSON object, got {"a":1');
    expect(() => propertyRowsJson('"a":1}', TS, 192)).toThrow('properties_json must be a JSON object, got "a":1}');
    expect(() => propertyRowsJson(`[${'1,'.repeat(100)}1]`, TS, 192)).toThrow(new Error(`properties_json must be a JSON object, got [${'1,'.repeat(19)}1`));
  });
});

describe('attributeErrors', () => {
  it('maps "<tag>: message" to the longest matching tag of the request; others are kept apart', () => {
    const r = attributeErrors(['S.a', 'S.a.b'], { statusCode: 'Errors', errors: ['S.a.b: Tag is already being logged', 'something else'] });
    expect([...r.tagErrors]).toEqual([['S.a.b', 'S.a.b: Tag is already being logged']]);
    expect(r.otherErrors).toEqual(['something else']);
  });
  it('Good means no error', () => {
    expect(attributeErrors(['S.a'], { statusCode: 'Good', errors: [] })).toEqual({ tagErrors: new Map(), otherErrors: [] });
  });
  it('the longest tag wins even when a shorter tag and its colon begin the error; an error that is just the tag names it', () => {
    const r = attributeErrors(['P', 'P:x', 'Q'], { statusCode: 'Errors', errors: ['P:x: Tag is read-only', 'Q'] });
    expect([...r.tagErrors]).toEqual([['P:x', 'P:x: Tag is read-only'], ['Q', 'Q']]);
    expect(r.otherErrors).toEqual([]);
  });
  it('several errors of one tag are kept, joined by "; "', () => {
    const r = attributeErrors(['S.a'], { statusCode: 'Errors', errors: ['S.a: first', 'S.a: second'] });
    expect([...r.tagErrors]).toEqual([['S.a', 'S.a: first; S.a: second']]);
  });
  it('a status other than Good or Errors that names no tag is an error of the whole request; Errors adds no such line', () => {
    expect(attributeErrors(['S.a'], { statusCode: 'BadConfiguration', errors: [] })).toEqual({ tagErrors: new Map(), otherErrors: ['statusCode BadConfiguration'] });
    expect(attributeErrors(['S.a'], { statusCode: 'Errors', errors: ['no tag here'] })).toEqual({ tagErrors: new Map(), otherErrors: ['no tag here'] });
    const named = attributeErrors(['S.a'], { statusCode: 'BadConfiguration', errors: ['S.a: refused'] });
    expect({ tags: [...named.tagErrors], other: named.otherErrors }).toEqual({ tags: [['S.a', 'S.a: refused']], other: [] });
  });
});

describe('loadWorkerConfig', () => {
  it('defaults: the plant cap 500, 100 tags and 1 MB per request, 6 attempts, 10 s per attempt, dataset = the group', () => {
    const c = loadWorkerConfig({ CANARY_API_TOKEN: 't' });
    expect(c).toMatchObject({ rateLimitRps: 500, batchMaxTags: 100, batchMaxBytes: 1_000_000, retryAttempts: 6, requestTimeoutMs: 10_000,
      retryInitialDelayMs: 200, operationTimeoutMs: 60_000, breakerConsecutive: 20, breakerFailureRatio: 0.02, breakerHalfOpenAfterMs: 60_000, dataset: undefined });
    expect(sessionSettings(c)).toEqual({ clientTimeout: 60_000, autoWriteNoData: false });
  });
  it('CANARY_DATASET=Test turns on autoCreateDatasets for the session', () => {
    expect(sessionSettings(loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_DATASET: 'Test' }))).toMatchObject({ autoCreateDatasets: true });
  });
  it('names the variable that is wrong, the problem and the expected form, in one line', () => {
    expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_RATE_LIMIT_RPS: 'fast' })).toThrow(new ConfigError('CANARY_RATE_LIMIT_RPS', 'CANARY_RATE_LIMIT_RPS: "fast" is not an integer; expected an integer >= 1'));
    expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_RATE_LIMIT_RPS: '0' })).toThrow('CANARY_RATE_LIMIT_RPS: "0" is below 1; expected an integer >= 1');
    expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_RATE_SAFETY: '1.5' })).toThrow('CANARY_RATE_SAFETY: "1.5" is not in (0, 1]; expected a number in (0, 1]');
    expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_DATASET: 'a.b' })).toThrow(/^CANARY_DATASET: "a\.b" contains "\."; expected a dataset name without "\."/);
    expect(() => loadWorkerConfig({ CANARY_URL: 'not a url' })).toThrow(/^CANARY_URL: "not a url" is not a URL starting with http:\/\/ or https:\/\//);
    for (const url of ['htp:/x', 'ftp://canary', 'https:canary']) {
      expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', CANARY_URL: url }))
        .toThrow(`CANARY_URL: "${url}" is not a URL starting with http:// or https://; expected http(s)://host[:port][/path], e.g. https://canary:55293`);
    }
    expect(() => loadWorkerConfig({ CANARY_URL: 'https://canary:55293' })).toThrow(/^CANARY_API_TOKEN: is not set; expected the API token Canary issued/);
  });
  it('never shows a secret\'s value, only its name', () => {
    expect(() => resolveEnv(databaseSchema, { DATABASE_URL: 'http://u:hunter2@h/db' }))
      .toThrow(/^DATABASE_URL: is not a URL starting with postgres:\/\/ or postgresql:\/\/; expected postgres:\/\/<role>@/);
    expect(configErrorLine('CANARY_API_TOKEN', { secret: true, expected: 'a token' }, 'hunter2', 'is wrong')).toBe('CANARY_API_TOKEN: is wrong; expected a token');
  });
});

describe('parseDeviceId', () => {
  it('accepts the payload enqueue_canary_sync writes and refuses anything else, saying what to do', () => {
    expect(parseDeviceId({ device_id: 62 })).toBe('62');
    expect(parseDeviceId({ device_id: '9007199254740993' })).toBe('9007199254740993'); // a bigint beyond 2^53, as text
    expect(parseDeviceId({ device_id: 1 })).toBe('1');
    expect(() => parseDeviceId({})).toThrow(/must be \{"device_id": <positive integer>\}, got \{\}; the job is malformed/);
    for (const device_id of [0, -1, 1.5, 2 ** 53, '0', '01', '-1', '1.5', '', null, true]) {
      expect(() => parseDeviceId({ device_id }), JSON.stringify(device_id)).toThrow(/must be \{"device_id": <positive integer>\}/);
    }
    expect(() => parseDeviceId(null)).toThrow(/got null/);
  });
});

describe('confirmValues', () => {
  it('one array per column of confirm.sql, in order', () => {
    const values = confirmValues([
      { metric_id: '11', version: 3, tag: 'S.a', outcome: 'written', changed_at: '2026-12-05T03:19:17.123456Z' },
      { metric_id: '12', version: 1, tag: null, outcome: 'retired', changed_at: '2026-12-05T03:19:18Z' },
    ]);
    expect(values).toEqual([['11', '12'], [3, 1], ['S.a', null], ['written', 'retired'],
      ['2026-12-05T03:19:17.123456Z', '2026-12-05T03:19:18Z']]);
  });
});

describe('createWorkerMetrics', () => {
  it('the process metrics carry the worker\'s prefix, beside the uns_meta_canary_* series', async () => {
    const names = (await createWorkerMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('uns_meta_worker_process_cpu_seconds_total');
    expect(names).toContain('uns_meta_worker_nodejs_heap_size_used_bytes');
    expect(names).toContain('uns_meta_canary_requests_total');
    expect(names.filter((n) => !n.startsWith('uns_meta_'))).toEqual([]);
  });

  it('request counts by method and outcome; the histograms\' buckets as documented (seconds, tags, bytes)', async () => {
    const m = createWorkerMetrics();
    m.requests.inc({ method: 'storeData', outcome: 'Good' });
    m.requestDuration.observe({ method: 'storeData' }, 0.2);
    m.batchTags.observe(3);
    m.batchBytes.observe(5000);
    const lines = (await m.registry.metrics()).split('\n');
    for (const line of [
      'uns_meta_canary_requests_total{method="storeData",outcome="Good"} 1',
      'uns_meta_canary_request_duration_seconds_bucket{le="0.1",method="storeData"} 0',
      'uns_meta_canary_request_duration_seconds_bucket{le="0.25",method="storeData"} 1',
      'uns_meta_canary_batch_tags_bucket{le="1"} 0',
      'uns_meta_canary_batch_tags_bucket{le="5"} 1',
      'uns_meta_canary_batch_bytes_bucket{le="1000"} 0',
      'uns_meta_canary_batch_bytes_bucket{le="10000"} 1',
    ]) expect(lines).toContain(line);
  });
});
