// What a birth's payload must carry besides its metrics (Sparkplug 3.0, "Payload Requirements" of NBIRTH and
// DBIRTH: a payload timestamp and a sequence number). A payload without them is not a birth, whatever its topic:
// the zero-byte message MQTT clients publish to clear a retained message decodes as an empty payload, and taken
// for a birth it would say the device has no metrics left.
import type { PayloadHeaderJson } from './json-types.ts';

/** The fields a birth needs that the header lacks, in the order the specification lists them; empty when valid. */
export function missingBirthFields(header: PayloadHeaderJson): ('timestamp' | 'seq')[] {
  const missing: ('timestamp' | 'seq')[] = [];
  if (header.timestamp === undefined) missing.push('timestamp');
  if (header.seq === undefined) missing.push('seq');
  return missing;
}
