// docs/ingestor.md's configuration example, run as written through bash (bin/uns-meta) with the test's values in
// its variables: a Mosquitto with a TLS 1.3 listener whose certificate names localhost (CA made for the test) and
// the page's user, the clone, a spool directory. The plant's DBIRTH fixture published to it lands in the catalog;
// SIGTERM exits 0. (The dead-letter recipe of the same page runs in test/ingest/dead-letter-recipe.test.ts.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { docEnv } from '../support/doc-shell.ts';
import { codeBlocks } from '../support/markdown.ts';
import { createTestPki, type TestPki } from '../ingest/support/certificates.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { publisher, waitFor } from '../ingest/support/ingestor.ts';

const payload = readFileSync(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.bin', import.meta.url));
const metricCount = (JSON.parse(readFileSync(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.json', import.meta.url), 'utf8')) as { metrics: unknown[] }).metrics.length;
const PASSWORD = 'docs-password';
let db: TestDatabase;
let pki: TestPki;
let broker: Broker;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  pki = createTestPki();
  broker = await startBroker({ pki, users: { 'uns-meta': PASSWORD } });
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-ingestor-doc-'));
});
afterAll(async () => {
  await broker?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('docs/ingestor.md', () => {
  it('the configuration example: over TLS as the page\'s user, the plant\'s birth lands in the catalog; SIGTERM exits 0', async () => {
    const block = codeBlocks('ingestor.md').find((b) => b.text.includes('uns-meta ingest'))!.text;
    const values: Record<string, string> = {
      MQTT_URL: `mqtts://localhost:${broker.tlsPort}`, MQTT_CA_FILE: pki.caCert, MQTT_PASSWORD: PASSWORD,
      DATABASE_URL: db.url('uns_meta_app'), INGEST_SPOOL_DIR: join(dir, 'spool'),
    };
    const line = block.replace(/\\\n/g, ' ').trim().replace(/\b([A-Z_]+)=(\S+)/g, (all, key: string) => (key in values ? `${key}=${values[key]}` : all));
    expect(line).toMatch(/ MQTT_USERNAME=uns-meta .* SPARKPLUG_GROUP_ID=Secil .* uns-meta ingest$/);
    expect(Object.keys(values).every((k) => line.includes(`${k}=${values[k]}`))).toBe(true);
    const child = spawn('bash', ['-c', line], { env: docEnv({ METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const pub = await publisher(broker.url, { username: 'uns-meta', password: PASSWORD });
    try {
      const count = async () => Number((await db.pool('uns_meta_ro').query<{ n: string }>(`select count(*) as n from uns_meta.metric_catalog where uns_path like 'Secil/Portugal/Cement/%'`)).rows[0]!.n);
      // published again each second until the ingestor, subscribing meanwhile, has it (an identical re-birth is a no-op)
      let published = 0;
      await waitFor('the birth in the catalog', async () => {
        if (Date.now() - published > 1000) {
          published = Date.now();
          await pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/Cement', payload);
        }
        return (await count()) === metricCount;
      }, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the ingestor logged:\n${log}`, { cause: err });
    } finally {
      await pub.endAsync();
      process.kill(-child.pid!, 'SIGTERM');
    }
    expect(await exited, log).toBe(0);
    expect(log).not.toContain(PASSWORD);
  }, 60_000);
});
