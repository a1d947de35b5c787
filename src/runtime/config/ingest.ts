// `uns-meta ingest`: its variables (section [ingest] of .env.example; docs/ingestor.md#configuration) and the
// IngestConfig the ingestor runs on, resolved once.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Env, boolean, envSchema, integer, optionalString, resolveEnv, string, url } from '../env.ts';
import { commonSchema, databaseSchema, type LogLevel } from './common.ts';
import { loadStatusConfig, type StatusConfig } from './status.ts';

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
  /** 0 = any free port (tests). */
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
  logLevel: LogLevel;
  /** The status topic; undefined = off (STATUS_TOPIC unset). */
  status: StatusConfig | undefined;
}

const MAX = Number.MAX_SAFE_INTEGER;
const NO_WILDCARD: [RegExp, string] = [/^[^/+#]+$/, 'contains /, + or #'];

export const ingestSchema = envSchema('ingest', {
  MQTT_URL: url('mqtt://localhost:1883', ['mqtt', 'mqtts'], 'mqtt://host:port or mqtts://host:port (TLS 1.3), without credentials', {
    meaning: 'the broker; mqtts:// for TLS (1.3 minimum, certificate and host name verified)',
    rest: (u) => (u.username || u.password ? 'carries credentials (set MQTT_USERNAME and MQTT_PASSWORD instead)' : undefined),
  }),
  MQTT_USERNAME: optionalString({ meaning: 'MQTT user name' }),
  MQTT_PASSWORD: optionalString({ meaning: 'MQTT password', secret: true }),
  MQTT_CA_FILE: optionalString({ meaning: 'PEM CA of the broker\'s certificate', computed: 'the system CAs', expected: 'a file path' }),
  MQTT_CERT_FILE: optionalString({ meaning: 'client certificate, PEM (mTLS; with MQTT_KEY_FILE)', expected: 'a file path' }),
  MQTT_KEY_FILE: optionalString({ meaning: 'client key, PEM (mTLS; with MQTT_CERT_FILE)', expected: 'a file path' }),
  MQTT_CLIENT_ID: optionalString({ meaning: 'MQTT client id', computed: 'uns-meta-ingest-<pid>-<random>' }),
  MQTT_PROTOCOL_VERSION: integer(5, 4, 5, { meaning: 'MQTT protocol: 5, or 4 (3.1.1)' }),
  MQTT_KEEPALIVE_SECONDS: integer(30, 1, 65535, { meaning: 'MQTT keepalive' }),
  MQTT_RECONNECT_MAX_MS: integer(30_000, 100, 30_000, { meaning: 'cap of the reconnect backoff' }),
  MQTT_CONNECT_TIMEOUT_MS: integer(10_000, 100, MAX, { meaning: 'one connection attempt' }),
  MQTT_SHARED_GROUP: optionalString({ meaning: '$share/<name>/ subscriptions, to scale out over several ingestors', expected: 'a name without /, + or #', check: NO_WILDCARD }),
  SPARKPLUG_GROUP_ID: string('+', { meaning: 'Sparkplug group subscribed to (+ = every group)', expected: '+ or a Sparkplug group id without /, + or #', check: [/^(\+|[^/+#]+)$/, 'contains /, + or #'] }),
  METRICS_PORT: integer(9464, 0, 65535, { meaning: 'port of /metrics, /healthz, /readyz (0 = any free port)' }),
  METRICS_HOST: string('0.0.0.0', { meaning: 'interface of /metrics, /healthz, /readyz', expected: 'an IP address or host name' }),
  INGEST_SPOOL_DIR: optionalString({ meaning: 'durable on-disk spool (also read by uns-meta status)', computed: '$XDG_STATE_HOME (or ~/.local/state)/uns-meta/ingest-spool', expected: 'a directory path' }),
  INGEST_QUEUE_LIMIT: integer(1000, 1, MAX, { meaning: 'births held in memory before the spool takes them' }),
  INGEST_QUEUE_MAX_BYTES: integer(256 * 1024 * 1024, 1, MAX, { meaning: 'payload bytes held in memory before the spool takes births' }),
  INGEST_CONCURRENCY: integer(4, 1, 64, { meaning: 'devices applied in parallel' }),
  INGEST_CHUNK_METRICS: integer(20_000, 1, MAX, { meaning: 'births larger than this go to ingest_birth in chunks (one transaction)' }),
  INGEST_RETRY_ATTEMPTS: integer(5, 0, 100, { meaning: 'retries of serialization failures and deadlocks' }),
  INGEST_DEAD_LETTER_MAX_BYTES: integer(16 * 1024 * 1024, 0, MAX, { meaning: 'raw bytes kept per dead letter' }),
  INGEST_MAX_PAYLOAD_BYTES: integer(128 * 1024 * 1024, 1, MAX, { meaning: 'larger birth payloads are dead-lettered undecoded' }),
  INGEST_REBIRTH_REQUESTS: boolean(false, { meaning: 'send throttled NCMD Node Control/Rebirth requests' }),
  INGEST_REBIRTH_INTERVAL_SECONDS: integer(60, 1, MAX, { meaning: 'at most one rebirth request per edge node per interval' }),
}, [
  (v) => ((v.MQTT_CERT_FILE === undefined) !== (v.MQTT_KEY_FILE === undefined)
    ? [v.MQTT_CERT_FILE === undefined ? 'MQTT_CERT_FILE' : 'MQTT_KEY_FILE', 'is not set but its pair is (MQTT_CERT_FILE and MQTT_KEY_FILE go together)', 'both set (the client certificate and its key) or neither']
    : undefined),
]);

/** INGEST_SPOOL_DIR, else $XDG_STATE_HOME (or ~/.local/state)/uns-meta/ingest-spool; also read by `uns-meta status`. */
export function spoolDirOf(env: Env): string {
  const dir = env.INGEST_SPOOL_DIR;
  return dir !== undefined && dir !== '' ? dir : join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'uns-meta', 'ingest-spool');
}

/** The ingestor's configuration from env; throws ConfigError with the one error line. */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const { LOG_LEVEL } = resolveEnv(commonSchema, env);
  resolveEnv(databaseSchema, env);
  const v = resolveEnv(ingestSchema, env);
  return {
    mqtt: {
      url: v.MQTT_URL,
      username: v.MQTT_USERNAME,
      password: v.MQTT_PASSWORD,
      caFile: v.MQTT_CA_FILE,
      certFile: v.MQTT_CERT_FILE,
      keyFile: v.MQTT_KEY_FILE,
      clientId: v.MQTT_CLIENT_ID ?? `uns-meta-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      groupId: v.SPARKPLUG_GROUP_ID,
      sharedGroup: v.MQTT_SHARED_GROUP,
      protocolVersion: v.MQTT_PROTOCOL_VERSION === 4 ? 4 : 5,
      keepaliveSeconds: v.MQTT_KEEPALIVE_SECONDS,
      reconnectMaxMs: v.MQTT_RECONNECT_MAX_MS,
      connectTimeoutMs: v.MQTT_CONNECT_TIMEOUT_MS,
    },
    metricsPort: v.METRICS_PORT,
    metricsHost: v.METRICS_HOST,
    spoolDir: spoolDirOf(env),
    queueLimit: v.INGEST_QUEUE_LIMIT,
    queueMaxBytes: v.INGEST_QUEUE_MAX_BYTES,
    concurrency: v.INGEST_CONCURRENCY,
    chunkMetrics: v.INGEST_CHUNK_METRICS,
    retryAttempts: v.INGEST_RETRY_ATTEMPTS,
    deadLetterMaxBytes: v.INGEST_DEAD_LETTER_MAX_BYTES,
    maxPayloadBytes: v.INGEST_MAX_PAYLOAD_BYTES,
    rebirth: { enabled: v.INGEST_REBIRTH_REQUESTS, intervalMs: v.INGEST_REBIRTH_INTERVAL_SECONDS * 1000 },
    logLevel: LOG_LEVEL,
    status: loadStatusConfig(env, { url: v.MQTT_URL, username: v.MQTT_USERNAME, password: v.MQTT_PASSWORD }),
  };
}
