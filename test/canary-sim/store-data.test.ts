import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { call, getJson, openSession, TS } from './helpers.ts';

let sim: CanarySim;
let token: string;
beforeAll(async () => {
  sim = await startCanarySim({ propertyHistoryLimit: 5 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.state.reset();
  token = await openSession(sim);
});

const KILN = 'Secil.Portugal.Cement.Maceira.Kiln.Temperature';

function store(body: Record<string, unknown>) {
  return call(sim.url, 'storeData', { sessionToken: token, ...body });
}

function errorsOf(json: Record<string, unknown>): string[] {
  return json.errors as string[];
}

describe('storeData happy path', () => {
  it('stores properties and reads them back through the state and the /sim routes', async () => {
    const r = await store({
      properties: {
        [KILN]: [
          ['Eng Units', TS, '°C', 192],
          ['Description', TS, 'Kiln K1 process temperature', 192],
          ['High Limit', TS, 1450],
        ],
      },
    });
    expect(r).toMatchObject({ status: 200, json: { statusCode: 'Good', errors: [] } });

    expect(sim.state.properties(KILN)).toMatchObject({
      'Eng Units': { value: '°C', timestamp: TS, quality: 192, sessionId: 's1' },
      Description: { value: 'Kiln K1 process temperature' },
      'High Limit': { value: 1450, quality: 192 },
    });
    const http = await getJson(sim.url, `/sim/tags/${encodeURIComponent(KILN)}/properties`);
    expect(http.status).toBe(200);
    expect(http.json).toEqual({ tag: KILN, properties: sim.state.properties(KILN) });
    const tag = await getJson(sim.url, `/sim/tags/${encodeURIComponent(KILN)}`);
    expect(tag.json).toMatchObject({ tag: KILN, dataset: 'Secil', tvqCount: 0 });
    expect((await getJson(sim.url, '/sim/tags?prefix=Secil.Portugal')).json).toEqual({ tags: [KILN] });
    expect((await getJson(sim.url, '/sim/tags/Secil.Nope/properties')).status).toBe(404);
  });

  it('keeps the latest value per property by timestamp, and a bounded history', async () => {
    const at = (minute: number) => `2025-08-26T12:0${minute}:00Z`;
    await store({ properties: { [KILN]: [['Eng Units', at(5), 'K']] } });
    await store({ properties: { [KILN]: [['Eng Units', at(1), 'older']] } }); // arrives later, but older
    expect(sim.state.properties(KILN)?.['Eng Units']?.value).toBe('K');
    await store({ properties: { [KILN]: [['Eng Units', at(5), '°C']] } }); // same time: the later arrival wins
    expect(sim.state.properties(KILN)?.['Eng Units']?.value).toBe('°C');
    for (let i = 0; i < 4; i++) await store({ properties: { [KILN]: [['Description', at(6), `d${i}`]] } });
    const history = sim.state.tag(KILN)?.propertyHistory ?? [];
    expect(history.map((h) => h.value)).toEqual(['°C', 'd0', 'd1', 'd2', 'd3']); // limit 5, oldest dropped
  });

  it('tag names keep spaces and punctuation; URL-encoded slashes read back', async () => {
    const odd = 'Secil.Line 1/Feeder (A).Motor #2 Speed';
    expect((await store({ properties: { [odd]: [['Eng Units', TS, 'rpm']] } })).json.statusCode).toBe('Good');
    const r = await getJson(sim.url, `/sim/tags/${encodeURIComponent(odd)}/properties`);
    expect(r.json).toMatchObject({ tag: odd, properties: { 'Eng Units': { value: 'rpm' } } });
  });

  it('accepts tvqs and annotations, stores TVQs minimally and counts annotations', async () => {
    const r = await store({
      tvqs: { [KILN]: [[TS, 1412.5, 192], ['2025-08-26T12:00:01Z', 1413, 'Good']] },
      annotations: { [KILN]: [{ t: TS, v: 'kiln start' }] },
    });
    expect(r.json.statusCode).toBe('Good');
    expect(sim.state.tag(KILN)).toMatchObject({
      tvqCount: 2,
      latestTvq: { value: 1413, quality: 192 },
      annotationCount: 1,
    });
    const bad = await store({ tvqs: { [KILN]: [['2025-08-26T12:00:00', 1]] } });
    expect(errorsOf(bad.json)).toEqual([expect.stringMatching(/^Secil\.Portugal.*Temperature: tvqs\[0\]: timestamp .* has no time zone/)]);
  });

  it('logs each request with its method, size, tag count and row counts', async () => {
    const body = { sessionToken: token, properties: { 'Secil.A': [['Description', TS, 'a']], 'Secil.B': [['Description', TS, 'b'], ['Eng Units', TS, 'm']] }, tvqs: { 'Secil.A': [[TS, 1]] } };
    await call(sim.url, 'storeData', body);
    const [entry] = sim.state.requests({ method: 'storeData' });
    expect(entry).toMatchObject({
      method: 'storeData',
      bodyBytes: Buffer.byteLength(JSON.stringify(body)),
      tags: 2,
      propertyRows: 3,
      tvqRows: 1,
      annotationRows: 0,
      httpStatus: 200,
      statusCode: 'Good',
      outcome: 'Good',
      sessionId: 's1',
    });
    const http = await getJson(sim.url, '/sim/requests?method=storeData');
    expect(http.json.requests).toEqual(sim.state.requests({ method: 'storeData' }));
    expect(JSON.stringify(sim.state.requests())).not.toContain(token);
  });
});

describe('storeData validation', () => {
  it.each([
    ['a timestamp without a zone', ['Eng Units', '2025-08-26T12:00:00.0000000', '°C'], /properties\[0\]: property "Eng Units": timestamp .* has no time zone/],
    ['a timestamp before 1601', ['Eng Units', '1600-01-01T00:00:00Z', '°C'], /before 1601-01-01/],
    ['an invalid quality', ['Eng Units', TS, '°C', 70000], /quality 70000 is invalid/],
    ['an unknown quality name', ['Eng Units', TS, '°C', 'Uncertain'], /quality "Uncertain" is invalid/],
    ['an empty property name', ['', TS, '°C'], /property name \(first item\) must be a non-empty string/],
    ['the value-first layout of the original system', [TS, 'engUnit=°C', 192], /timestamp "engUnit=°C" is not ISO-8601/],
  ])('rejects %s, naming the tag', async (_what, row, message) => {
    const r = await store({ properties: { [KILN]: [row] } });
    expect(r.status).toBe(200);
    expect(r.json.statusCode).toBe('Errors');
    expect(errorsOf(r.json)).toHaveLength(1);
    expect(errorsOf(r.json)[0]).toMatch(new RegExp(`^${KILN.replaceAll('.', '\\.')}: `));
    expect(errorsOf(r.json)[0]).toMatch(message);
    expect(sim.state.tag(KILN)).toBeUndefined();
  });

  it('rejects a tag path without a dataset prefix', async () => {
    const r = await store({ properties: { Temperature: [['Eng Units', TS, '°C']] } });
    expect(errorsOf(r.json)).toEqual([expect.stringMatching(/^Temperature: the tag path has no dataset prefix/)]);
    expect(sim.state.tags()).toEqual([]);
  });

  it('rejects an unknown dataset unless the session has autoCreateDatasets, which creates it', async () => {
    const tag = 'Secil3.Plant.Tag';
    const refused = await store({ properties: { [tag]: [['Description', TS, 'x']] } });
    expect(errorsOf(refused.json)[0]).toMatch(/^Secil3\.Plant\.Tag: dataset "Secil3" does not exist \(datasets: Secil, Test\); .*autoCreateDatasets/);
    expect(sim.state.datasets()).toEqual(['Secil', 'Test']);

    // The loose casing seen in Canary's samples: autoCreateDataSets.
    const creator = await openSession(sim, { autoCreateDataSets: true });
    const created = await call(sim.url, 'storeData', { sessionToken: creator, properties: { [tag]: [['Description', TS, 'x']] } });
    expect(created.json.statusCode).toBe('Good');
    expect(sim.state.datasets()).toEqual(['Secil', 'Secil3', 'Test']);
    expect(sim.state.tag(tag)?.dataset).toBe('Secil3');
  });

  it('does not create a dataset when all rows for it are invalid', async () => {
    const creator = await openSession(sim, { autoCreateDatasets: true });
    await call(sim.url, 'storeData', { sessionToken: creator, properties: { 'New.Tag': [['Description', 'bad', 'x']] } });
    expect(sim.state.datasets()).toEqual(['Secil', 'Test']);
  });

  it('mixed good and bad tags: Errors lists the bad ones, the good ones are stored', async () => {
    const r = await store({
      properties: {
        'Secil.Good.One': [['Eng Units', TS, 'bar']],
        'Secil.Bad.Row': [
          ['Eng Units', TS, 'bar'],
          ['Description', '2025-08-26 12:00', 'no zone'],
        ],
        'Nowhere.Tag': [['Eng Units', TS, 'bar']],
        'Secil.Bad.Shape': 'not an array',
        'Secil.Good.Two': [['Description', TS, 'two', 'Good']],
      },
    });
    expect(r.json.statusCode).toBe('Errors');
    expect(errorsOf(r.json)).toEqual([
      expect.stringMatching(/^Secil\.Bad\.Row: properties\[1\]: property "Description": timestamp/),
      expect.stringMatching(/^Nowhere\.Tag: dataset "Nowhere" does not exist/),
      expect.stringMatching(/^Secil\.Bad\.Shape: properties must be an array of \[name, timestamp, value, quality\?\] rows/),
    ]);
    expect(sim.state.tags()).toEqual(['Secil.Good.One', 'Secil.Good.Two']);
    // A tag is all-or-nothing: the valid first row of Secil.Bad.Row was not stored either.
    expect(sim.state.tag('Secil.Bad.Row')).toBeUndefined();
    expect(sim.state.requests({ method: 'storeData' })[0]).toMatchObject({ outcome: 'Errors', errors: 3, tags: 5 });
  });

  it('refuses a malformed section as a whole with statusCode Error and stores nothing', async () => {
    const r = await store({ properties: [['Eng Units', TS, '°C']], tvqs: { [KILN]: [[TS, 1]] } });
    expect(r.json.statusCode).toBe('Error');
    expect(errorsOf(r.json)[0]).toMatch(/properties must be an object keyed by full tag path/);
    expect(sim.state.tags()).toEqual([]);
  });

  it('accepts section and key names in any casing', async () => {
    const r = await call(sim.url, 'storedata', { SESSIONTOKEN: token, Properties: { [KILN]: [['Eng Units', TS, '°C']] } });
    expect(r.json.statusCode).toBe('Good');
    expect(sim.state.properties(KILN)?.['Eng Units']?.value).toBe('°C');
  });

  it('an empty storeData is Good and stores nothing', async () => {
    expect((await store({})).json).toEqual({ statusCode: 'Good', errors: [] });
    expect(sim.state.tags()).toEqual([]);
  });
});
