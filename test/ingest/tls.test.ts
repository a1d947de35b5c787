// MQTT over TLS against a real Mosquitto with certificates made for the test: TLS 1.3 minimum, the server
// certificate verified against MQTT_CA_FILE and the URL's host name, client certificates for mTLS.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { type TestPki, createTestPki } from './support/certificates.ts';
import { type Broker, startBroker } from './support/mosquitto.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from './support/ingestor.ts';

let db: TestDatabase;
const admin = (): pg.Pool => db.pool('uns_meta_admin');
let pki: TestPki;
let broker: Broker;

beforeAll(async () => {
  db = await createTestDatabase();
  pki = createTestPki();
  broker = await startBroker({ pki });
});

afterAll(async () => {
  await broker?.stop();
  await db?.drop();
});

async function withIngestor(env: Record<string, string>, body: (ing: RunningIngestor) => Promise<void>): Promise<void> {
  const ing = await startTestIngestor({ DATABASE_URL: db.url('uns_meta_app'), ...env });
  try {
    await body(ing);
  } finally {
    await ing.stop();
  }
}

/** The first connection failure the ingestor logs (its TLS error text). */
async function connectionFailure(ing: RunningIngestor): Promise<string> {
  const rec = await waitFor('a connection failure', () => ing.records().find((r) => r.event === 'mqtt.error'));
  await waitFor('the reconnect schedule', () => ing.records().some((r) => r.event === 'mqtt.connect_failed'));
  expect(ing.mqtt.connected()).toBe(false);
  expect(ing.records().some((r) => r.event === 'mqtt.connected')).toBe(false);
  return String(rec.err);
}

describe('MQTT over TLS', () => {
  it('connects with TLS 1.3 to a server certificate signed by MQTT_CA_FILE and ingests a birth', async () => {
    await withIngestor({ MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.caCert }, async (ing) => {
      await subscribed(ing);
      const pub = await publisher(`mqtts://localhost:${broker.tlsPort}`, { ca: [readFileSync(pki.caCert)] });
      await pub.publishAsync('spBv1.0/Tls/DBIRTH/E/D', encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'm', datatype: 11, booleanValue: true }] }));
      await pub.endAsync();
      await waitFor('the birth over TLS', async () => {
        const { rows } = await admin().query(`select 1 from uns_meta.devices where uns_path = 'Tls/E/D'`);
        return rows.length === 1;
      });
    });
  });

  it('refuses a server whose certificate does not name the host it dialled (hostname verification)', async () => {
    await withIngestor({ MQTT_URL: `mqtts://127.0.0.1:${broker.tlsPort}`, MQTT_CA_FILE: pki.caCert }, async (ing) => {
      expect(await connectionFailure(ing)).toMatch(/Hostname\/IP does not match certificate's altnames/);
    });
  });

  it('refuses a server certificate from another CA', async () => {
    await withIngestor({ MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.otherCaCert }, async (ing) => {
      expect(await connectionFailure(ing)).toMatch(/self[- ]signed|unable to (get|verify)/i);
    });
  });

  it('refuses a server that offers only TLS 1.2 (TLS 1.3 minimum)', async () => {
    // Mosquitto's tls_version is a minimum, so a Node TLS server capped at 1.2 with the same certificate plays
    // the old broker; it would accept the handshake if the client allowed 1.2.
    let handshakes = 0;
    const server = createTlsServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), maxVersion: 'TLSv1.2' }, (s) => {
      handshakes++;
      s.destroy();
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      await withIngestor({ MQTT_URL: `mqtts://localhost:${port}`, MQTT_CA_FILE: pki.caCert }, async (ing) => {
        expect(await connectionFailure(ing)).toMatch(/protocol version|unsupported protocol/i);
      });
      expect(handshakes).toBe(0);
    } finally {
      server.close();
    }
  });

  it('presents MQTT_CERT_FILE / MQTT_KEY_FILE to a broker that requires a client certificate (mTLS)', async () => {
    await withIngestor({ MQTT_URL: `mqtts://localhost:${broker.mtlsPort}`, MQTT_CA_FILE: pki.caCert }, async (ing) => {
      await connectionFailure(ing);
    });
    await withIngestor({
      MQTT_URL: `mqtts://localhost:${broker.mtlsPort}`, MQTT_CA_FILE: pki.caCert, MQTT_CERT_FILE: pki.clientCert, MQTT_KEY_FILE: pki.clientKey,
    }, async (ing) => {
      await subscribed(ing);
      expect(ing.mqtt.connected()).toBe(true);
    });
  });
});
