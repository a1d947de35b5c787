// End to end over TLS everywhere, with certificates made for the test (one throwaway CA): Mosquitto on TLS 1.3-only
// listeners with a password file and no anonymous access (and an mTLS listener whose client certificate is the
// identity), a private PostgreSQL cluster that takes TCP only over TLS (`hostssl`, no `host` line), deployed with
// Sqitch and reached with sslmode=verify-full and sslrootcert=<the CA>, and the Canary simulator over HTTPS. The
// ingestor and the worker run as processes of their own; births go in, and Canary ends equal to PostgreSQL. A plain
// connection to each TLS-only endpoint is refused, and says why.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, type Server, createServer as createNetServer } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { connectionConfig } from '../../src/runtime/database.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { type CliProcess, spawnCli } from '../support/cli.ts';
import { type PrivateCluster, startPrivateCluster } from '../support/private-cluster.ts';
import { type TestPki, createTestPki } from '../ingest/support/certificates.ts';
import { publisher, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';

const exec = promisify(execFile);
const USERS = { ingest: 'ingest-Tls-Pa55', publisher: 'publisher-Tls-Pa55' };
const METRICS = ['Area/m0', 'Area/m1'];

let pki: TestPki;
let cluster: PrivateCluster;
let broker: Broker;
let sim: CanarySim;
let admin: pg.Pool;
/** The ingestor of the password listener and the worker trusting the CA (the first test starts them). */
let passwordIngestor: CliProcess;
let worker: CliProcess;
const children: CliProcess[] = [];
const dirs: string[] = [];

/** A pool on the cluster over verified TLS, as the processes connect (DATABASE_URL with sslmode and sslrootcert). */
function pool(role: string): pg.Pool {
  return new pg.Pool({ ...connectionConfig({ ...process.env, DATABASE_URL: cluster.url(role) }), max: 2 });
}

function spawn(args: string[], env: Record<string, string>): CliProcess {
  const child = spawnCli(args, { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

function ingestor(env: Record<string, string>): CliProcess {
  const spool = mkdtempSync(join(tmpdir(), 'uns-meta-tls-spool-'));
  dirs.push(spool);
  return spawn(['ingest'], { DATABASE_URL: cluster.url('uns_meta_app'), INGEST_SPOOL_DIR: spool, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', ...env });
}

function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: cluster.url('uns_meta_app'), CANARY_URL: sim.url, CANARY_API_TOKEN: 'tls-token', CANARY_HISTORIANS: 'localhost',
    // the simulator's certificate chains to the test CA: the worker trusts it through Node's extra CA store
    NODE_EXTRA_CA_CERTS: pki.caCert,
    WORKER_POLL_INTERVAL_MS: '100', WORKER_DB_POOL_SIZE: '3', CANARY_RETRY_INITIAL_DELAY_MS: '10', CANARY_RETRY_MAX_DELAY_MS: '40',
    ...extra,
  };
}

async function until(child: CliProcess, want: RegExp, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${want} from ${child.spawnargs.slice(2).join(' ')}`, () => want.test(child.output()), timeoutMs).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; its output:\n${child.output()}`);
  });
}

/** Birth `rev` of a device: every metric carries an engineering unit and a documentation naming device, metric and rev. */
function birthOf(device: string, rev: number): Buffer {
  return encodePayload({
    timestamp: String(1_700_000_000_000 + rev),
    seq: '0',
    metrics: METRICS.map((name) => ({
      name, datatype: 10, doubleValue: rev,
      properties: { keys: ['engUnit', 'documentation'], values: [{ type: 12, stringValue: 'bar' }, { type: 12, stringValue: `${device} ${name} r${rev}` }] },
    })),
  });
}

/** What Canary must hold after the last birth of each device, from the test's input: tag → Canary properties. */
function expectedCanary(devices: Record<string, number>): Record<string, Record<string, string>> {
  return Object.fromEntries(Object.entries(devices).flatMap(([device, rev]) => METRICS.map((name) =>
    [`Secil.Tls.${device}.${name.replaceAll('/', '.')}`, { 'Eng Units': 'bar', Description: `${device} ${name} r${rev}` }])));
}

/**
 * Canary's properties as PostgreSQL describes them: every live metric confirmed at its current version, its
 * properties (metric_properties) under their Canary names (canary_property_names). Undefined while a metric is not
 * confirmed yet.
 */
async function confirmedInPostgres(): Promise<Record<string, Record<string, string>> | undefined> {
  const { rows: pending } = await admin.query<{ n: number }>(
    `select count(*)::int as n from uns_meta.canary_parity where status <> 'in_sync' and retired_at is null`);
  if (pending[0]!.n > 0) return undefined;
  const { rows } = await admin.query<{ canary_tag: string; name: string; value: string }>(
    `select s.canary_tag, n.canary_name as name, p.value_string as value
       from uns_meta.metrics m
       join uns_meta.canary_sync_state s on s.metric_id = m.metric_id and s.confirmed_version = m.version
       join uns_meta.metric_properties p on p.metric_id = m.metric_id
       join uns_meta.canary_property_names n on n.property_key = p.key
      where m.retired_at is null
      order by 1, 2`);
  const out: Record<string, Record<string, string>> = {};
  for (const r of rows) (out[r.canary_tag] ??= {})[r.name] = r.value;
  return out;
}

/** Every tag the simulator holds, with its property values. */
function canaryState(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(sim.state.tags().map((tag) =>
    [tag, Object.fromEntries(Object.entries(sim.state.properties(tag) ?? {}).map(([k, v]) => [k, v.value]))]));
}

/** Waits until PostgreSQL has confirmed `expected` and checks that the input, PostgreSQL and Canary agree. */
async function expectCanaryEqualsPostgres(expected: Record<string, Record<string, string>>): Promise<void> {
  const confirmed = await waitFor('every metric confirmed by Canary at its last birth', async () => {
    const state = await confirmedInPostgres();
    return state !== undefined && JSON.stringify(state) === JSON.stringify(sortKeys(expected)) ? state : undefined;
  }, 40_000).catch(async (err: unknown) => {
    throw new Error(`${(err as Error).message}; PostgreSQL holds ${JSON.stringify(await confirmedInPostgres())}`);
  });
  expect(canaryState()).toEqual(confirmed);
}

function sortKeys(o: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  return Object.fromEntries(Object.keys(o).sort().map((tag) => [tag, Object.fromEntries(Object.entries(o[tag]!).sort(([a], [b]) => a.localeCompare(b)))]));
}

async function publishBirths(url: string, births: [string, number][]): Promise<void> {
  const pub = await publisher(url, { ca: [readFileSync(pki.caCert)], username: 'publisher', password: USERS.publisher });
  try {
    for (const [device, rev] of births) await pub.publishAsync(`spBv1.0/Secil/DBIRTH/Tls/${device}`, birthOf(device, rev), { qos: 1 });
  } finally {
    await pub.endAsync();
  }
}

beforeAll(async () => {
  pki = createTestPki();
  cluster = await startPrivateCluster({ tls: { certFile: pki.addressCert, keyFile: pki.addressKey, caFile: pki.caCert } });
  // The schema: the test template (what `make test-sql` deployed with Sqitch) copied in over the cluster's socket,
  // or, when it cannot be copied, deployed afresh by scripts/deploy-db.sh over verified TLS (cluster.env).
  await cluster.loadTemplate();
  cluster.superuser(`drop database ${cluster.database}`);
  cluster.superuser(`create database ${cluster.database} owner uns_meta_admin template ${process.env.UNS_META_TEST_TEMPLATE ?? 'uns_meta_test_template'}`);
  admin = pool('uns_meta_admin');
  await admin.query(`update uns_meta.settings set value = to_jsonb('0 seconds'::text) where key = 'debounce_interval'`);
  broker = await startBroker({ pki, users: USERS });
  sim = await startCanarySim({ tls: { cert: readFileSync(pki.addressCert), key: readFileSync(pki.addressKey) } });
}, 180_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child.exited;
    }
  }
  await admin?.end();
  await sim?.close();
  await broker?.stop();
  await cluster?.destroy();
  for (const d of [...dirs, pki?.dir]) if (d) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('births in, Canary equal to PostgreSQL out, over TLS everywhere', () => {
  it('with a password on the TLS 1.3 listener: births of three devices, then changed births, reach Canary', async () => {
    const url = `mqtts://localhost:${broker.tlsPort}`;
    passwordIngestor = ingestor({ MQTT_URL: url, MQTT_CA_FILE: pki.caCert, MQTT_USERNAME: 'ingest', MQTT_PASSWORD: USERS.ingest });
    await until(passwordIngestor, /"event":"mqtt\.subscribed"/);
    worker = spawn(['worker'], workerEnv());
    await until(worker, /"msg":"worker started"/);
    await publishBirths(url, [['D1', 1], ['D2', 1], ['D3', 1], ['D1', 2], ['D3', 2]]);
    await expectCanaryEqualsPostgres(expectedCanary({ D1: 2, D2: 1, D3: 2 }));
    expect(passwordIngestor.output().match(/"event":"birth\.ingested"/g)).toHaveLength(5);
    expect(passwordIngestor.output()).not.toContain(USERS.ingest);
    expect(broker.output()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as uns-meta-ingest-\S+ \(.*u'ingest'\)/);
  }, 60_000);

  it('with a client certificate on the mTLS listener (its CN the user name): a new device reaches Canary', async () => {
    const ing = ingestor({
      MQTT_URL: `mqtts://localhost:${broker.mtlsPort}`, MQTT_CA_FILE: pki.caCert, MQTT_CERT_FILE: pki.clientCert, MQTT_KEY_FILE: pki.clientKey,
    });
    await until(ing, /"event":"mqtt\.subscribed"/);
    // this ingestor alone takes the next births
    passwordIngestor.kill('SIGTERM');
    expect(await passwordIngestor.exited).toBe(0);
    await publishBirths(`mqtts://localhost:${broker.tlsPort}`, [['D4', 1], ['D2', 2]]);
    await expectCanaryEqualsPostgres(expectedCanary({ D1: 2, D2: 2, D3: 2, D4: 1 }));
    expect(ing.output().match(/"event":"birth\.ingested"/g)).toHaveLength(2);
    // the broker took the certificate's CN (test PKI: CN=uns-meta-ingest) as the user name, no password given
    expect(broker.output()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as uns-meta-ingest-\S+ \(.*u'uns-meta-ingest'\)/);
  }, 60_000);
});

describe('a plain connection to a TLS-only endpoint is refused, and says why', () => {
  it('MQTT: the TLS listener takes no plain MQTT (the broker logs the TLS error), no TLS 1.2, no wrong password', async () => {
    const before = broker.output().length;
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${broker.tlsPort}`, {
      username: 'publisher', password: USERS.publisher, reconnectPeriod: 0, connectTimeout: 5000,
    })).rejects.toThrow(/ECONNRESET/);
    // the client sees the connection dropped; the broker's log says why: what arrived was no TLS handshake (logged
    // at accept when the client's bytes are already there, as an OpenSSL error of the connection otherwise)
    await waitFor('the broker to log the refusal', () =>
      /(Client connection from 127\.0\.0\.1 failed: |OpenSSL Error\[0\]: ).*wrong version number/.test(broker.output().slice(before)))
      .catch((err: unknown) => { throw new Error(`${(err as Error).message}; the broker logged: ${broker.output().slice(before)}`); });
    const tls12 = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: broker.tlsPort!, servername: 'localhost', ca: readFileSync(pki.caCert), maxVersion: 'TLSv1.2' });
      socket.on('secureConnect', () => { socket.destroy(); resolve('connected'); });
      socket.on('error', (err: Error) => resolve(err.message));
    });
    expect(tls12).toMatch(/protocol version/i);
    await expect(mqtt.connectAsync(`mqtts://localhost:${broker.tlsPort}`, {
      ca: [readFileSync(pki.caCert)], username: 'publisher', password: 'wrong', reconnectPeriod: 0,
    })).rejects.toThrow(/Not authorized|Bad user name or password/i);
  });

  it('PostgreSQL: sslmode=disable finds no pg_hba.conf entry ("no encryption"), in psql and in `uns-meta worker` (exit 78, one line)', async () => {
    const psql = exec('psql', ['-XAtq', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'uns_meta_ro', '-d', cluster.database, '-c', 'select 1'],
      { env: { ...process.env, PGSSLMODE: 'disable' } });
    await expect(psql).rejects.toThrow(/no pg_hba\.conf entry for host "127\.0\.0\.1", user "uns_meta_ro", database "uns_meta", no encryption/);
    const worker = spawn(['worker'], workerEnv({ DATABASE_URL: cluster.url('uns_meta_app').replace('sslmode=verify-full', 'sslmode=disable') }));
    expect(await worker.exited).toBe(78);
    const lines = worker.output().trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^uns-meta worker: no pg_hba\.conf entry .*no encryption: the server takes only TLS connections: set sslmode=verify-full/);
  });

  it('the simulator: plain HTTP to its HTTPS port gets HTTP 400 saying it speaks HTTPS only, and no API answer', async () => {
    const before = sim.state.requests().length;
    const res = await request(`${sim.url.replace('https:', 'http:')}/api/v1/version`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toEqual({ statusCode: 'Error', errors: ['this port speaks HTTPS only: plain HTTP was sent to it; use https://'] });
    expect(sim.state.requests()).toHaveLength(before);
  });
});

/**
 * The opening of a PostgreSQL server on 127.0.0.1 for clients that ask for TLS: it answers their SSLRequest with
 * 'S' and a handshake with `cert` (or with 'N', no TLS, when `cert` is undefined), and goes no further.
 */
async function tlsOpening(cert: { cert: string; key: string } | undefined): Promise<{ port: number; server: Server }> {
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => { // the 8-byte SSLRequest
      if (cert === undefined) {
        socket.end('N');
        return;
      }
      socket.write('S');
      const tls = new TLSSocket(socket, { isServer: true, cert: readFileSync(cert.cert), key: readFileSync(cert.key) });
      tls.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('a process given the wrong CA says which certificate it refused', () => {
  it('the ingestor reaching a database server whose certificate does not name 127.0.0.1, or that takes no TLS, exits 78 with one line', async () => {
    for (const [cert, want] of [
      [{ cert: pki.serverCert, key: pki.serverKey }, /^uns-meta ingest: the database server's certificate does not name the host dialled \(Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: \): connect to a name it holds/],
      [undefined, /^uns-meta ingest: The server does not support SSL connections: the server takes no TLS/],
    ] as const) {
      const { port, server } = await tlsOpening(cert);
      try {
        const ing = ingestor({
          MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.caCert, MQTT_USERNAME: 'ingest', MQTT_PASSWORD: USERS.ingest,
          DATABASE_URL: cluster.url('uns_meta_app').replace(`:${cluster.port}/`, `:${port}/`),
        });
        expect(await ing.exited).toBe(78);
        expect(ing.output().trimEnd().split('\n').at(-1)).toMatch(want);
      } finally {
        server.close();
      }
    }
  });


  it('the ingestor with another CA for PostgreSQL exits 78 with one line naming the untrusted certificate', async () => {
    const ing = ingestor({
      MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.caCert, MQTT_USERNAME: 'ingest', MQTT_PASSWORD: USERS.ingest,
      DATABASE_URL: cluster.url('uns_meta_app').replace(encodeURIComponent(pki.caCert), encodeURIComponent(pki.otherCaCert)),
    });
    expect(await ing.exited).toBe(78);
    expect(ing.output().trimEnd().split('\n').at(-1)).toMatch(
      /^uns-meta ingest: the database server's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\): set sslrootcert=<the CA that signed it> in DATABASE_URL$/);
  });

  it('the ingestor with another CA for the broker logs the certificate error on one line, stays unsubscribed and keeps retrying', async () => {
    const ing = ingestor({ MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.otherCaCert, MQTT_USERNAME: 'ingest', MQTT_PASSWORD: USERS.ingest });
    await until(ing, /"event":"mqtt\.connect_failed"/);
    const errors = ing.output().split('\n').filter((l) => l.includes('"event":"mqtt.error"'));
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors) expect((JSON.parse(line) as { msg: string }).msg).toBe('MQTT error: self-signed certificate in certificate chain');
    expect(ing.output()).not.toMatch(/mqtt\.subscribed|\n\s+at /);
    expect(ing.exitCode).toBeNull();
  });

  it('the worker without the CA of the simulator\'s certificate writes nothing to Canary and logs the certificate error', async () => {
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const stores = sim.state.requests({ method: 'storeData' }).length;
    const untrusting = spawn(['worker'], workerEnv({ NODE_EXTRA_CA_CERTS: '' }));
    await until(untrusting, /"msg":"worker started"/);
    await publishBirths(`mqtts://localhost:${broker.tlsPort}`, [['NoCa', 1]]); // through the mTLS ingestor
    await until(untrusting, /unable to verify the first certificate/);
    expect(sim.state.requests({ method: 'storeData' })).toHaveLength(stores);
    expect(sim.state.tags('Secil.Tls.NoCa')).toEqual([]);
  });
});
