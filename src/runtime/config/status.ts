// The status topic of a process (section [status] of .env.example; docs/operations.md, "Status topic"): off unless
// STATUS_TOPIC is set. The ingestor reaches the status broker with its own MQTT_* settings unless STATUS_MQTT_* say
// otherwise; the worker needs STATUS_MQTT_URL.
import { ConfigError, configErrorLine, type Env, envSchema, integer, optionalString, optionalUrl, resolveEnv } from '../env.ts';

export interface StatusConfig {
  topic: string;
  url: string;
  username: string | undefined;
  password: string | undefined;
  /** How often the retained online status is refreshed (last error, circuit state, spool depth). */
  intervalMs: number;
}

export const statusSchema = envSchema('status', {
  STATUS_TOPIC: optionalString({
    meaning: 'publish this process\'s status (online/offline as a retained MQTT Will, last error, circuit state, spool depth) on this topic; unset = off',
    expected: 'a plain MQTT topic outside spBv1.0/, without + or #, one per process (e.g. uns-meta/status/ingest-1)',
    check: [/^(?!spBv1\.0(\/|$))[^+#]+$/, 'is inside spBv1.0/ or has a wildcard'],
  }),
  STATUS_MQTT_URL: optionalUrl(['mqtt', 'mqtts'], 'mqtt://host:port or mqtts://host:port, without credentials', {
    meaning: 'broker of the status topic', computed: 'MQTT_URL (the ingestor); required by the worker when STATUS_TOPIC is set',
    rest: (u) => (u.username || u.password ? 'carries credentials (set STATUS_MQTT_USERNAME and STATUS_MQTT_PASSWORD instead)' : undefined),
  }),
  STATUS_MQTT_USERNAME: optionalString({ meaning: 'user name on the status broker', computed: 'MQTT_USERNAME (the ingestor)' }),
  STATUS_MQTT_PASSWORD: optionalString({ meaning: 'password on the status broker', computed: 'MQTT_PASSWORD (the ingestor)', secret: true }),
  STATUS_INTERVAL_MS: integer(10_000, 100, 3_600_000, { meaning: 'how often the online status is refreshed' }),
});

/** The status settings, or undefined when STATUS_TOPIC is unset; `fallback` = the process's own broker settings. */
export function loadStatusConfig(env: Env, fallback: { url?: string; username?: string; password?: string } = {}): StatusConfig | undefined {
  const v = resolveEnv(statusSchema, env);
  if (v.STATUS_TOPIC === undefined) return undefined;
  const url = v.STATUS_MQTT_URL ?? fallback.url;
  if (url === undefined) {
    throw new ConfigError('STATUS_MQTT_URL', configErrorLine('STATUS_MQTT_URL', { expected: 'the broker of the status topic, mqtt://host:port' }, undefined, 'is not set but STATUS_TOPIC is'));
  }
  return {
    topic: v.STATUS_TOPIC,
    url,
    username: v.STATUS_MQTT_USERNAME ?? (v.STATUS_MQTT_URL === undefined ? fallback.username : undefined),
    password: v.STATUS_MQTT_PASSWORD ?? (v.STATUS_MQTT_URL === undefined ? fallback.password : undefined),
    intervalMs: v.STATUS_INTERVAL_MS,
  };
}
