// Rebirth requests (off by default): an NCMD `Node Control/Rebirth` = true to the edge node, at most one per
// edge node per interval (default 60 s), so a burst of bad births can never become a rebirth storm. Each
// request is counted and logged with its cause; a suppressed one is counted too.
import { encodePayload } from '../sparkplug/encode.ts';
import type { Logger } from '../runtime/log.ts';
import type { IngestMetrics } from './metrics.ts';

export type Publish = (topic: string, payload: Buffer) => Promise<void>;

export interface RebirthRequester {
  request(group: string, edge: string, cause: string, log: Logger): void;
}

export function rebirthPayload(now = Date.now()): Buffer {
  return encodePayload({
    timestamp: String(now),
    metrics: [{ name: 'Node Control/Rebirth', timestamp: String(now), datatype: 11, booleanValue: true }],
  });
}

export function createRebirthRequester(options: { enabled: boolean; intervalMs: number }, publish: Publish, metrics: IngestMetrics): RebirthRequester {
  const last = new Map<string, number>();
  return {
    request(group, edge, cause, log) {
      if (!options.enabled) return;
      const key = `${group}/${edge}`;
      const now = Date.now();
      const previous = last.get(key);
      if (previous !== undefined && now - previous < options.intervalMs) {
        metrics.rebirthsSuppressed.inc();
        log.debug({ event: 'rebirth.suppressed', edgeNode: key, cause }, `rebirth of ${key} not requested (one per ${options.intervalMs / 1000} s): ${cause}`);
        return;
      }
      last.set(key, now);
      const topic = `spBv1.0/${group}/NCMD/${edge}`;
      metrics.rebirthsRequested.inc();
      log.info({ event: 'rebirth.requested', edgeNode: key, ncmd: topic, cause }, `requesting a rebirth of ${key}: ${cause}`);
      publish(topic, rebirthPayload(now)).catch((err: Error) => {
        log.warn({ event: 'rebirth.publish_failed', edgeNode: key, err: err.message }, `rebirth request to ${topic} not published: ${err.message}`);
      });
    },
  };
}
