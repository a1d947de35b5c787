// What most ingestor test files need, started in beforeAll and stopped in afterAll: a database clone, a Mosquitto,
// a publisher, optionally a TCP proxy to the database and a running ingestor. Fields are filled in beforeAll.
import type mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../support/database.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed } from './ingestor.ts';
import { type Broker, type BrokerOptions, startBroker } from './mosquitto.ts';
import { type TcpProxy, startTcpProxy } from './tcp-proxy.ts';

export interface IngestEnvironment {
  db: TestDatabase;
  broker: Broker;
  pub: MqttClient;
  /** Present with `proxy: true`. */
  proxy: TcpProxy;
  /** Present with `ingestor`. */
  ingestor: RunningIngestor;
  /** One uns_meta_admin pool for the file (each db.pool() call opens a new one). */
  admin(): pg.Pool;
  /** The uns_meta_app URL of the clone through the proxy. */
  viaProxy(): string;
}

export interface EnvironmentOptions {
  broker?: BrokerOptions;
  publisher?: mqtt.IClientOptions;
  proxy?: boolean;
  /** Start an ingestor with these variables (MQTT_URL and DATABASE_URL are filled in). */
  ingestor?: Record<string, string>;
  /** Session settings of the ingestor's database connections (DATABASE_URL `options`), e.g. `-c lock_timeout=200ms`. */
  databaseOptions?: string;
}

export function useIngestEnvironment(options: EnvironmentOptions = {}): IngestEnvironment {
  let adminPool: pg.Pool | undefined;
  const env = {
    admin: () => (adminPool ??= env.db.pool('uns_meta_admin')),
    viaProxy: () => {
      const u = new URL(env.db.url('uns_meta_app'));
      u.port = String(env.proxy.port);
      return u.toString();
    },
  } as IngestEnvironment;

  beforeAll(async () => {
    env.db = await createTestDatabase();
    env.broker = await startBroker(options.broker);
    if (options.proxy) env.proxy = await startTcpProxy(process.env.PGHOST ?? '127.0.0.1', Number(process.env.PGPORT ?? 5432));
    if (options.ingestor) {
      const database = new URL(env.db.url('uns_meta_app'));
      if (options.databaseOptions) database.searchParams.set('options', options.databaseOptions);
      env.ingestor = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: database.toString(), ...options.ingestor });
      await subscribed(env.ingestor);
    }
    env.pub = await publisher(env.broker.url, options.publisher);
  });

  afterAll(async () => {
    await env.pub?.endAsync();
    await env.ingestor?.stop();
    await env.proxy?.close();
    await env.broker?.stop();
    await env.db?.drop();
  });

  return env;
}
