// checkMetaData (src/sparkplug/message-decoders.ts) refuses exactly what decodeMetaData refuses with the ingestor's
// escaping reader: every MetaData field number, and a field number the message does not have, under every wire type,
// with a well-formed and a truncated body. Its wire-type table is also checked against the .proto.
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES, METADATA_WIRE_TYPES, checkMetaData, decodeMetaData } from '../../src/sparkplug/message-decoders.ts';
import { PACKAGE, sparkplugSchema } from '../../src/sparkplug/schema.ts';
import { openReader } from '../../src/sparkplug/wire.ts';

const BODIES: Record<number, Buffer> = {
  0: Buffer.from([0x96, 0x01]), // varint 150
  1: Buffer.alloc(8, 1),
  2: Buffer.from([0x03, 0xff, 0x61, 0x62]), // 3 bytes, not UTF-8: escaped, never an error here
  5: Buffer.alloc(4, 1),
};

function refuses(fn: (bytes: Buffer) => unknown, bytes: Buffer): string | undefined {
  try {
    fn(bytes);
    return undefined;
  } catch (err) {
    return (err as Error).name;
  }
}

const decode = (bytes: Buffer) => decodeMetaData(openReader(bytes, true), bytes.length);
const check = (bytes: Buffer) => checkMetaData(openReader(bytes, true), bytes.length);

describe('checkMetaData', () => {
  const cases: [string, Buffer][] = [];
  for (let field = 1; field <= FIELD_NAMES.MetaData.length; field++) {
    for (const wire of [0, 1, 2, 5]) {
      const body = BODIES[wire]!;
      const whole = Buffer.concat([Buffer.from([(field << 3) | wire]), body]);
      cases.push([`field ${field}, wire type ${wire}`, whole], [`field ${field}, wire type ${wire}, truncated`, whole.subarray(0, whole.length - 1)]);
    }
  }
  cases.push(['an invalid wire type', Buffer.from([0x0f])], ['field number 0', Buffer.from([0x00, 0x01])]);

  it.each(cases)('agrees with decodeMetaData: %s', (_what, bytes) => {
    expect(refuses(check, bytes)).toBe(refuses(decode, bytes));
  });

  it('refuses a known field of the wrong wire type and takes the right one (both ways happen above)', () => {
    expect(cases.filter(([, b]) => refuses(check, b) !== undefined).length).toBeGreaterThan(10);
    expect(cases.filter(([, b]) => refuses(check, b) === undefined).length).toBeGreaterThan(10);
  });

  it('reads each field with the wire type of its .proto type', () => {
    const type = sparkplugSchema().root.lookupType(`${PACKAGE}.Payload.MetaData`);
    const wireOf = (t: string) => (t === 'string' || t === 'bytes' ? 2 : t === 'double' || t === 'fixed64' ? 1 : t === 'float' || t === 'fixed32' ? 5 : 0);
    const fromProto = [-1, ...type.fieldsArray.sort((a, b) => a.id - b.id).map((f) => wireOf(f.type))];
    expect(METADATA_WIRE_TYPES).toEqual(fromProto);
  });
});
