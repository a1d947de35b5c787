// The ingestor's settings, from environment variables only (docs/ingestor.md has the table). Every error names
// the variable and what it accepts; no error or log line ever carries a password.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface MqttConfig {
  url: string;
  username: string | undefined;
  password: string | undefined;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  clientId: string;
  groupId: string;
  /** `$share/<name>/` prefix for the subscriptions, when set. */
  sharedGroup: string | undefined;
  protocolVersion: 4 | 5;
  keepaliveSeconds: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
}

export interface IngestConfig {
  mqtt: MqttConfig;
  /** 0 = any free port (tests); undefined never (default 9464). */
  metricsPort: number;
  metricsHost: string;
  spoolDir: string;
  /** Births held in memory (waiting + being applied) before new ones go to the spool. */
  queueLimit: number;
  /** Payload bytes held in memory before new births go to the spool (one birth is always taken). */
  queueMaxBytes: number;
  /** Devices applied in parallel (each with its own database connection). */
  concurrency: number;
  /** Births with more metrics than this are decoded and sent to ingest_birth in chunks of this size. */
  chunkMetrics: number;
  /** In-place retries of a serialization failure or deadlock before the birth is spooled. */
  retryAttempts: number;
  deadLetterMaxBytes: number;
  /** A birth payload larger than this is dead-lettered without being decoded. */
  maxPayloadBytes: number;
  rebirth: { enabled: boolean; intervalMs: number };
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** A Sparkplug id usable in a subscription: `+` (every group) or an id without `/`, `+`, `#`. */
function groupId(env: NodeJS.ProcessEnv): string {
  const g = optional(env, 'SPARKPLUG_GROUP_ID') ?? '+';
  if (g !== '+' && /[/+#]/.test(g)) throw new ConfigError(`SPARKPLUG_GROUP_ID must be + or a Sparkplug group id without /, + or #, got ${JSON.stringify(g)}`);
  return g;
}

function mqttUrl(env: NodeJS.ProcessEnv): string {
  const url = optional(env, 'MQTT_URL') ?? 'mqtt://localhost:1883';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('MQTT_URL is not a URL (expected mqtt://host:port or mqtts://host:port)');
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') {
    throw new ConfigError(`MQTT_URL must start with mqtt:// or mqtts://, got ${parsed.protocol}//`);
  }
  if (parsed.username || parsed.password) {
    throw new ConfigError('MQTT_URL must not carry credentials; set MQTT_USERNAME and MQTT_PASSWORD instead');
  }
  return url;
}

/** INGEST_SPOOL_DIR, else $XDG_STATE_HOME (or ~/.local/state)/uns-meta/ingest-spool; also read by `uns-meta status`. */
export function spoolDirOf(env: NodeJS.ProcessEnv): string {
  return optional(env, 'INGEST_SPOOL_DIR') ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'uns-meta', 'ingest-spool');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const shared = optional(env, 'MQTT_SHARED_GROUP');
  if (shared !== undefined && /[/+#]/.test(shared)) {
    throw new ConfigError(`MQTT_SHARED_GROUP must be a name without /, + or #, got ${JSON.stringify(shared)}`);
  }
  const certFile = optional(env, 'MQTT_CERT_FILE');
  const keyFile = optional(env, 'MQTT_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('MQTT_CERT_FILE and MQTT_KEY_FILE go together (the client certificate and its key); set both or neither');
  }
  const protocolVersion = integer(env, 'MQTT_PROTOCOL_VERSION', 5, 4, 5);
  return {
    mqtt: {
      url: mqttUrl(env),
      username: optional(env, 'MQTT_USERNAME'),
      password: optional(env, 'MQTT_PASSWORD'),
      caFile: optional(env, 'MQTT_CA_FILE'),
      certFile,
      keyFile,
      clientId: optional(env, 'MQTT_CLIENT_ID') ?? `uns-meta-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      groupId: groupId(env),
      sharedGroup: shared,
      protocolVersion: protocolVersion === 4 ? 4 : 5,
      keepaliveSeconds: integer(env, 'MQTT_KEEPALIVE_SECONDS', 30, 1, 65535),
      reconnectMaxMs: integer(env, 'MQTT_RECONNECT_MAX_MS', 30_000, 100, 30_000),
      connectTimeoutMs: integer(env, 'MQTT_CONNECT_TIMEOUT_MS', 10_000, 100),
    },
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65535),
    metricsHost: optional(env, 'METRICS_HOST') ?? '0.0.0.0',
    spoolDir: spoolDirOf(env),
    queueLimit: integer(env, 'INGEST_QUEUE_LIMIT', 1000, 1),
    queueMaxBytes: integer(env, 'INGEST_QUEUE_MAX_BYTES', 256 * 1024 * 1024, 1),
    concurrency: integer(env, 'INGEST_CONCURRENCY', 4, 1, 64),
    chunkMetrics: integer(env, 'INGEST_CHUNK_METRICS', 20_000, 1),
    retryAttempts: integer(env, 'INGEST_RETRY_ATTEMPTS', 5, 0, 100),
    deadLetterMaxBytes: integer(env, 'INGEST_DEAD_LETTER_MAX_BYTES', 16 * 1024 * 1024, 0),
    maxPayloadBytes: integer(env, 'INGEST_MAX_PAYLOAD_BYTES', 128 * 1024 * 1024, 1),
    rebirth: {
      enabled: boolean(env, 'INGEST_REBIRTH_REQUESTS', false),
      intervalMs: integer(env, 'INGEST_REBIRTH_INTERVAL_SECONDS', 60, 1) * 1000,
    },
    logLevel: optional(env, 'LOG_LEVEL') ?? 'info',
  };
}
