// proto/sparkplug_b.proto loaded once with protobufjs reflection: used by the encoder and, in the
// tests, as an independent reference decoder to check the single-pass decoder against.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/sparkplug_b.proto', import.meta.url));
export const PACKAGE = 'org.eclipse.tahu.protobuf';

export interface SparkplugSchema {
  root: protobuf.Root;
  Payload: protobuf.Type;
  Metric: protobuf.Type;
}

let schema: SparkplugSchema | undefined;

/** The loaded schema (parsed on first use). */
export function sparkplugSchema(): SparkplugSchema {
  if (schema === undefined) {
    if (!protobuf.util.Long) {
      throw new Error('protobufjs has no Long support: 64-bit fields would lose precision (is the "long" package installed?)');
    }
    const root = protobuf.loadSync(PROTO_PATH);
    schema = {
      root,
      Payload: root.lookupType(`${PACKAGE}.Payload`),
      Metric: root.lookupType(`${PACKAGE}.Payload.Metric`),
    };
  }
  return schema;
}
