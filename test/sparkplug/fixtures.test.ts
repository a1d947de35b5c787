// Every binary fixture decodes to its expected JSON; the committed fixtures are what the generator builds;
// the independent reference decoder (protobufjs reflection) agrees.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMetricsChunked, decodePayload } from '../../src/sparkplug/decode.ts';
import type { MetricJson, PayloadJson } from '../../src/sparkplug/json-types.ts';
import { FIXTURE_DIR, readFixtures, referenceDecode } from './support.ts';
import { fixtureCases, indexMarkdown } from './generate-fixtures.ts';

const fixtures = readFixtures();
const cases = fixtureCases();

describe('fixtures/sparkplug', () => {
  it('holds every fixture the generator builds, and nothing else', () => {
    expect(fixtures.map((f) => f.name)).toEqual(cases.map((c) => c.name).sort());
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('decodes $name to its expected JSON', ({ bin, json }) => {
    expect(decodePayload(bin)).toStrictEqual(json);
  });

  it.each(fixtures)('$name decodes the same in chunks of 2', ({ bin, json }) => {
    const header: PayloadJson = { ...json };
    delete header.metrics;
    const metrics: MetricJson[] = [];
    for (const chunk of decodeMetricsChunked(bin, 2)) {
      expect(chunk.start).toBe(metrics.length);
      expect(chunk.header).toStrictEqual(header);
      metrics.push(...chunk.metrics);
    }
    expect(metrics).toStrictEqual(json.metrics ?? []);
  });

  it.each(cases)('$name is up to date with the generator (node test/sparkplug/generate-fixtures.ts)', (c) => {
    const committed = fixtures.find((f) => f.name === c.name);
    expect(committed?.json).toStrictEqual(c.json);
    if (c.zlibBytes) expect(decodePayload(committed!.bin)).toStrictEqual(decodePayload(c.bin));
    else expect(committed?.bin.equals(c.bin)).toBe(true);
  });

  it('has an index listing every fixture', () => {
    expect(readFileSync(`${FIXTURE_DIR}README.md`, 'utf8')).toBe(indexMarkdown(cases));
  });

  // protobufjs reflection reads these differently, and we are right: it reads a bool from the low 32 bits of its
  // varint (2^63 is false), keeps several members of a oneof, and replaces a repeated singular message
  const referenceDiffers = new Set(['liberal-boolean-varints', 'liberal-oneof-last-wins', 'liberal-repeated-message-merged']);
  it.each(fixtures.filter((f) => !f.name.startsWith('compressed-') && !referenceDiffers.has(f.name)))(
    'the protobufjs reflection decoder reads $name the same way',
    ({ bin, json }) => {
      expect(referenceDecode(bin)).toStrictEqual(json);
    },
  );
});
