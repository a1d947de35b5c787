// The ingestor as ops run it, a process of its own: killed with SIGKILL while its spool holds births and
// restarted (nothing lost); and what it prints when the MQTT or database credentials are wrong (no secret).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwordFromFile } from '../../src/runtime/database.ts';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { spawnIngestor } from './support/child.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const MQTT_USER = 'ingest';
const MQTT_PASSWORD = 'mqtt-Pa55word-9f3b!';
const env = useIngestEnvironment({
  broker: { users: { [MQTT_USER]: MQTT_PASSWORD, publisher: 'pub-pass' } },
  publisher: { username: 'publisher', password: 'pub-pass' },
  proxy: true,
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const spooled = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.msg'));

describe('uns-meta ingest as a process', () => {
  it('survives SIGKILL with a non-empty spool: the next start replays it, nothing lost', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-spool-'));
    const vars = { MQTT_URL: env.broker.url, MQTT_USERNAME: MQTT_USER, MQTT_PASSWORD, DATABASE_URL: env.viaProxy(), INGEST_SPOOL_DIR: spoolDir };
    await env.proxy.cut();
    const first = spawnIngestor(vars);
    await waitFor('the first ingestor to subscribe', () => first.output().includes('"event":"mqtt.subscribed"'));
    for (const k of range(6)) for (const d of range(3)) await env.pub.publishAsync(`spBv1.0/Kill/DBIRTH/E/D${d}`, numberedBirth(k));
    await waitFor('18 births in the spool', () => spooled(spoolDir).length === 18);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(spooled(spoolDir)).toHaveLength(18);

    await env.proxy.restore();
    const second = spawnIngestor(vars);
    try {
      await waitFor('the spool replayed', async () => spooled(spoolDir).length === 0 &&
        (await Promise.all(range(3).map((d) => appliedOrder(env.admin(), `Kill/E/D${d}`)))).every((o) => o.length === 6));
      for (const d of range(3)) expect(await appliedOrder(env.admin(), `Kill/E/D${d}`)).toEqual(range(6));
      expect(second.output()).toContain('the spool holds 18 births from an earlier run');
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    expect(second.output()).toContain('"event":"ingest.stopped"');
  });

  it('refuses to start with a message naming the problem: a bad variable (78), an unreadable file (1)', async () => {
    const bad = spawnIngestor({ MQTT_URL: 'http://broker:1883' });
    expect(await bad.exited).toBe(78);
    expect(bad.output()).toBe('uns-meta ingest: MQTT_URL: "http://broker:1883" is not a URL starting with mqtt:// or mqtts://; ' +
      'expected mqtt://host:port or mqtts://host:port (TLS 1.3), without credentials\n');
    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-spool-'));
    const noCa = spawnIngestor({ MQTT_URL: 'mqtts://localhost:1', MQTT_CA_FILE: '/nonexistent/ca.pem', DATABASE_URL: env.db.url('uns_meta_app'), INGEST_SPOOL_DIR: spoolDir });
    expect(await noCa.exited).toBe(1);
    expect(noCa.output()).toContain('uns-meta ingest: cannot start: MQTT_CA_FILE: cannot read /nonexistent/ca.pem: ENOENT');
  });

  it('never prints the MQTT or the database password, even when both are refused', async () => {
    const pgPassword = passwordFromFile(process.env.PGPASSFILE ?? '', '127.0.0.1', process.env.PGPORT ?? '5432', env.db.name, 'uns_meta_app');
    expect(pgPassword).toBeTruthy();
    const wrongPg = 'pg-Wr0ng-s3cret-77';
    const wrongMqtt = 'mqtt-Wr0ng-s3cret-42';
    const u = new URL(env.db.url('uns_meta_app'));
    u.password = wrongPg;
    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-spool-'));
    // Wrong MQTT password: the broker refuses.
    const bad = spawnIngestor({ MQTT_URL: env.broker.url, MQTT_USERNAME: MQTT_USER, MQTT_PASSWORD: wrongMqtt, DATABASE_URL: env.db.url('uns_meta_app'), INGEST_SPOOL_DIR: spoolDir });
    // Right MQTT password, wrong database password: the login is refused at start, a misconfiguration (exit 78).
    const half = spawnIngestor({ MQTT_URL: env.broker.url, MQTT_USERNAME: MQTT_USER, MQTT_PASSWORD, DATABASE_URL: u.toString(), INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'uns-meta-spool-')) });
    // Everything right (the database password from PGPASSFILE).
    const good = spawnIngestor({ MQTT_URL: env.broker.url, MQTT_USERNAME: MQTT_USER, MQTT_PASSWORD, DATABASE_URL: env.db.url('uns_meta_app'), INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'uns-meta-spool-')) });
    try {
      await waitFor('the refused MQTT login', () => bad.output().includes('"event":"mqtt.connect_failed"'));
      expect(await half.exited).toBe(78);
      await waitFor('good to subscribe', () => good.output().includes('"event":"mqtt.subscribed"'));
      await env.pub.publishAsync('spBv1.0/Secret/DBIRTH/E/D', numberedBirth(1));
      await waitFor('the good birth', async () => (await appliedOrder(env.admin(), 'Secret/E/D')).length === 1);
    } finally {
      for (const c of [bad, half, good]) c.child.kill('SIGTERM');
      await Promise.all([bad.exited, half.exited, good.exited]);
    }
    const all = bad.output() + half.output() + good.output();
    expect(bad.output()).toMatch(/Bad username or password|Not authorized/);
    expect(half.output()).toMatch(/password authentication failed/);
    for (const secret of [MQTT_PASSWORD, wrongMqtt, wrongPg, pgPassword as string, encodeURIComponent(wrongPg)]) {
      expect(all.includes(secret), 'a password appears in the output').toBe(false);
    }
  });
});
