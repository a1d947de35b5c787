// The MQTT side: connects with the configured credentials (TLS 1.3 minimum and hostname verification for
// mqtts://, optional client certificate), subscribes to the births on every (re)connect (clean session, QoS 0),
// and reconnects with capped exponential backoff, logging every state change. mqtt.js's own fixed-period
// reconnect is off (reconnectPeriod 0) so the backoff is ours.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttConfig } from '../runtime/config/ingest.ts';
import type { Logger } from '../runtime/log.ts';
import type { IngestMetrics } from './metrics.ts';

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface MqttConnection {
  client: MqttClient;
  connected(): boolean;
  publish(topic: string, payload: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** The subscriptions: DBIRTH and NBIRTH of the group, under `$share/<name>/` when scaling out. */
export function birthSubscriptions(config: MqttConfig): string[] {
  const prefix = config.sharedGroup ? `$share/${config.sharedGroup}/` : '';
  return [`${prefix}spBv1.0/${config.groupId}/NBIRTH/#`, `${prefix}spBv1.0/${config.groupId}/DBIRTH/#`];
}

function readFile(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export function clientOptions(config: MqttConfig): IClientOptions {
  const options: IClientOptions = {
    clientId: config.clientId,
    protocolVersion: config.protocolVersion,
    clean: true,
    keepalive: config.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: config.connectTimeoutMs,
    queueQoSZero: false,
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  if (config.url.startsWith('mqtts:')) {
    // Node verifies the server certificate against the CA and the URL's host name (checkServerIdentity).
    Object.assign(options, { rejectUnauthorized: true, minVersion: 'TLSv1.3' });
    if (config.caFile) options.ca = readFile(config.caFile, 'MQTT_CA_FILE');
    if (config.certFile) options.cert = readFile(config.certFile, 'MQTT_CERT_FILE');
    if (config.keyFile) options.key = readFile(config.keyFile, 'MQTT_KEY_FILE');
  }
  return options;
}

/** Backoff before reconnection attempt `n` (1, 2, ...): 500 ms doubling, capped, with ±20 % jitter. */
export function reconnectDelay(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 500 * 2 ** Math.min(attempt - 1, 16));
  return Math.min(maxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
}

export function connectMqtt(config: MqttConfig, onMessage: MessageHandler, log: Logger, metrics: IngestMetrics): MqttConnection {
  const url = new URL(config.url);
  const where = `${url.protocol}//${url.host}`;
  const client = mqtt.connect(config.url, clientOptions(config));
  const topics = birthSubscriptions(config);
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  let isConnected = false;

  client.on('connect', () => {
    isConnected = true;
    attempt = 0;
    metrics.mqttConnected.set(1);
    log.info({ event: 'mqtt.connected', broker: where, clientId: config.clientId }, `MQTT connected to ${where}`);
    // mqtt.js reports a subscription the broker refused (a SUBACK reason code >= 0x80) as `err`, with the code.
    client.subscribe(topics, { qos: 0 }, (err) => {
      if (err) {
        log.error({ event: 'mqtt.subscribe_failed', broker: where, topics, err: err.message, code: (err as { code?: unknown }).code },
          `MQTT subscribe to ${topics.join(', ')} failed: ${err.message}; check the broker's ACL for this client`);
        return;
      }
      log.info({ event: 'mqtt.subscribed', topics }, `subscribed to ${topics.join(', ')}`);
    });
  });
  client.on('message', (topic, payload) => onMessage(topic, payload));
  client.on('error', (err) => {
    log.warn({ event: 'mqtt.error', broker: where, err: err.message, code: (err as { code?: unknown }).code }, `MQTT error: ${err.message}`);
  });
  client.on('close', () => {
    const was = isConnected;
    isConnected = false;
    metrics.mqttConnected.set(0);
    if (closing) return;
    attempt += 1;
    const delay = reconnectDelay(attempt, config.reconnectMaxMs);
    log.warn({ event: was ? 'mqtt.disconnected' : 'mqtt.connect_failed', broker: where, attempt, retryInMs: delay },
      `MQTT ${was ? 'connection lost' : 'connection failed'}; reconnecting in ${delay} ms (attempt ${attempt})`);
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (closing) return;
      metrics.mqttReconnects.inc();
      log.info({ event: 'mqtt.reconnecting', broker: where, attempt }, `MQTT reconnecting to ${where}`);
      client.reconnect();
    }, delay);
  });

  return {
    client,
    connected: () => isConnected,
    publish: (topic, payload) =>
      new Promise((resolve, reject) => client.publish(topic, payload, { qos: 0, retain: false }, (err) => (err ? reject(err) : resolve()))),
    close: async () => {
      closing = true;
      clearTimeout(timer);
      await client.endAsync(true);
      log.info({ event: 'mqtt.closed', broker: where }, 'MQTT connection closed');
    },
  };
}
