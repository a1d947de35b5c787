// No secret anywhere the processes speak: the ingestor and the worker run as processes of their own with known fake
// secrets (an MQTT password, a Canary API token, a wrong Canary token) and the database password of PGPASSFILE.
// A good birth is synced to the Canary simulator and a bad one is dead-lettered. Then everything they said is
// collected and scanned for every secret, raw, URL-encoded and JSON-escaped: their stdout and stderr, both /metrics
// bodies, the `--help` outputs, every column of the dead-letter tables, and `uns-meta status` (text and --json) run
// with the secrets in its environment and the database password in DATABASE_URL — the right one, and a wrong one
// the server refuses.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { passwordFromFile } from '../../src/runtime/database.ts';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { type CliProcess, spawnCli } from '../support/cli.ts';
import { numberedBirth } from '../ingest/support/births.ts';
import { useIngestEnvironment } from '../ingest/support/environment.ts';
import { waitFor } from '../ingest/support/ingestor.ts';
import { allInSync, setDebounce, testEnv } from '../worker/helpers.ts';

const MQTT_PASSWORD = 'mqtt-Fake-S3cret-8d1e';
const CANARY_TOKEN = 'canary-Fake-T0ken-5c2a';
const WRONG_CANARY_TOKEN = 'canary-Wr0ng-T0ken-71f0';
const WRONG_DB_PASSWORD = 'pg-Wr0ng-Passw0rd-3e9b';
const env = useIngestEnvironment({
  broker: { users: { ingest: MQTT_PASSWORD, publisher: 'pub-pass' } },
  publisher: { username: 'publisher', password: 'pub-pass' },
});

let sim: CanarySim;
const children: CliProcess[] = [];
const spawn = (args: string[], vars: Record<string, string> = {}) => {
  const c = spawnCli(args, vars);
  children.push(c);
  return c;
};

beforeAll(async () => {
  sim = await startCanarySim({ port: 0, apiToken: CANARY_TOKEN });
  await setDebounce(env.db, '0 seconds');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  await sim?.close();
});

describe('secrets', () => {
  it('no MQTT password, Canary token or database password in any output, metric, --help or dead letter', { timeout: 90_000 }, async () => {
    const pgPassword = passwordFromFile(process.env.PGPASSFILE ?? '', '127.0.0.1', process.env.PGPORT ?? '5432', env.db.name, 'uns_meta_app');
    expect(pgPassword, 'PGPASSFILE has the uns_meta_app password').toBeTruthy();
    const [ingestPort, workerPort] = [await freePort(), await freePort()];
    const ingest = spawn(['ingest'], {
      MQTT_URL: env.broker.url, MQTT_USERNAME: 'ingest', MQTT_PASSWORD, DATABASE_URL: env.db.url('uns_meta_app'), LOG_LEVEL: 'debug',
      METRICS_PORT: String(ingestPort), METRICS_HOST: '127.0.0.1', INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'uns-meta-spool-')),
    });
    spawn(['worker'], { ...testEnv(sim, env.db), CANARY_API_TOKEN: CANARY_TOKEN, LOG_LEVEL: 'debug', METRICS_PORT: String(workerPort), METRICS_HOST: '127.0.0.1' });
    const helps = [['--help'], ['ingest', '--help'], ['worker', '--help'], ['canary', '--help'], ['canary-sim', '--help'], ['demo', '--help']].map((a) => spawn(a));

    await waitFor('the ingestor to subscribe', () => ingest.output().includes('"event":"mqtt.subscribed"'), 30_000);
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Secrets/Good', numberedBirth(1));
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Secrets/Bad', Buffer.from([0x0a, 0x05, 0x01]));
    await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query('select 1 from uns_meta.dead_letters');
      return rows.length === 1;
    }, 30_000);
    await waitFor('Canary in sync', async () => (await env.admin().query('select 1 from uns_meta.metrics')).rowCount === 1 && allInSync(env.db), 40_000);
    // An operator command with a wrong token: refused by the simulator, and says so.
    const refused = spawn(['canary', 'resync', '--prefix', 'Secil/Secrets'], { ...testEnv(sim, env.db), CANARY_API_TOKEN: WRONG_CANARY_TOKEN });
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toMatch(/token/i);

    // `uns-meta status` with every secret in its environment and the password in the URL (right, then wrong).
    const withPassword = (password: string) => {
      const u = new URL(env.db.url('uns_meta_app'));
      u.password = password;
      return u.toString();
    };
    const statusEnv = (password: string) => ({ DATABASE_URL: withPassword(password), MQTT_PASSWORD, CANARY_API_TOKEN: CANARY_TOKEN, PGPASSWORD: password });
    const statuses = [
      spawn(['status'], statusEnv(pgPassword as string)),
      spawn(['status', '--json'], statusEnv(pgPassword as string)),
      spawn(['status'], statusEnv(WRONG_DB_PASSWORD)),
    ];
    await Promise.all(statuses.map((c) => c.exited));
    expect(statuses[0]?.output()).toMatch(/^database +\S+ as uns_meta_app/m);
    expect(statuses[1]?.output()).toMatch(/"role": *"uns_meta_app"/);
    expect(statuses[2]?.output()).toMatch(/^database +unreachable/m);

    const bodies = await Promise.all([ingestPort, workerPort].map(async (p) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text()));
    const tables = await env.admin().query<{ t: string }>(
      `select row_to_json(d)::text as t from uns_meta.dead_letters d
       union all select row_to_json(c)::text from uns_meta.canary_dead_letters c`);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    for (const h of helps) expect(h.output()).toMatch(/uns-meta/);

    const everything = [...children.map((c) => c.output()), ...bodies, ...tables.rows.map((r) => r.t)].join('\n');
    expect(everything).toContain('uns_meta_ingest_births_ingested_total 1');
    expect(everything).toContain('"event":"birth.dead_lettered"');
    for (const secret of [MQTT_PASSWORD, CANARY_TOKEN, WRONG_CANARY_TOKEN, WRONG_DB_PASSWORD, pgPassword as string]) {
      for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
        expect(everything.includes(form), `a secret (${secret.slice(0, 6)}…) appears in the collected output`).toBe(false);
      }
    }
  });
});
