// The MQTT client options the ingestor connects with: credentials passed on only when configured, QoS 0 messages
// never queued while offline, a clean session, and no reconnect of mqtt.js's own (the ingestor's backoff does it).
import { describe, expect, it } from 'vitest';
import { loadIngestConfig as loadConfig } from '../../src/runtime/config/ingest.ts';
import { clientOptions } from '../../src/ingest/mqtt.ts';

const env = { XDG_STATE_HOME: '/home/x/.local/state' };

describe('clientOptions', () => {
  it('passes MQTT_USERNAME and MQTT_PASSWORD to the broker when set, and leaves them out when not', () => {
    const withCredentials = clientOptions(loadConfig({ ...env, MQTT_USERNAME: 'ingest', MQTT_PASSWORD: 's3cret' }).mqtt);
    expect(withCredentials).toMatchObject({ username: 'ingest', password: 's3cret' });
    const without = clientOptions(loadConfig(env).mqtt);
    expect(without).not.toHaveProperty('username');
    expect(without).not.toHaveProperty('password');
  });

  it('never queues QoS 0 publishes while offline, starts clean and leaves reconnecting to the ingestor', () => {
    expect(clientOptions(loadConfig(env).mqtt)).toMatchObject({ queueQoSZero: false, clean: true, reconnectPeriod: 0 });
  });
});
