// docs/ops/alerts.yml and docs/ops/dashboard.json against the real processes: the rules load and every alert fires
// on synthetic series (promtool), every metric the rules and the dashboard name is on the live /metrics of a running
// `uns-meta ingest` and `uns-meta worker`, and those names follow Prometheus' conventions.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { spawnCli, type CliProcess } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startBroker, type Broker } from '../ingest/support/mosquitto.ts';
import { testEnv, waitFor } from '../worker/helpers.ts';

const run = promisify(execFile);
const ops = new URL('../../docs/ops/', import.meta.url);
const alertsFile = new URL('alerts.yml', ops);
const read = (file: URL) => readFileSync(file, 'utf8');

/** `uns_meta_*` names in a text, and `up` (the series Prometheus itself records per target). */
function metricNames(text: string): Set<string> {
  const names = new Set(text.match(/\buns_meta_[a-z0-9_]+/g) ?? []);
  if (/\bup\{/.test(text)) names.add('up');
  return names;
}

/** Every PromQL expression of the dashboard. */
function dashboardExprs(): string[] {
  const dashboard = JSON.parse(read(new URL('dashboard.json', ops))) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

interface Family { name: string; type: string }

/** The metric families of a Prometheus text exposition (`# TYPE <name> <type>`). */
function families(exposition: string): Family[] {
  return [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
}

/** Series names a family exposes: a histogram's _bucket, _sum and _count; a summary's _sum and _count. */
function seriesNames(f: Family): string[] {
  if (f.type === 'histogram') return [f.name, `${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`];
  if (f.type === 'summary') return [f.name, `${f.name}_sum`, `${f.name}_count`];
  return [f.name];
}

/** What breaks Prometheus' naming conventions in one family, or undefined. */
function conventionProblem(f: Family): string | undefined {
  if (!/^[a-z][a-z0-9_]*$/.test(f.name)) return 'not lower snake_case';
  if (f.type === 'counter' && !f.name.endsWith('_total')) return 'a counter must end in _total';
  if (f.type !== 'counter' && f.name.endsWith('_total')) return 'only counters end in _total';
  if (/_(ms|millis|milliseconds|micros|us|minutes|hours|days)(_|$)/.test(f.name)) return 'time must be in _seconds';
  if (/_(kb|mb|gb|kib|mib|gib|kilobytes|megabytes)(_|$)/.test(f.name)) return 'sizes must be in _bytes';
  if (/(seconds|bytes)_(?!total$|bucket$|sum$|count$)/.test(f.name)) return 'the unit must come last (before _total)';
  return undefined;
}

describe('alerting rules (promtool)', () => {
  it('docs/ops/alerts.yml passes `promtool check rules`', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', alertsFile.pathname]);
    expect(stdout).toContain('SUCCESS');
  });

  it('`promtool test rules docs/ops/alerts.test.yml` fires each alert on synthetic series', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: ops.pathname });
    expect(stdout).toContain('SUCCESS');
    // every alert of the rules file has a test in which it fires
    const alerts = [...read(alertsFile).matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tests = read(new URL('alerts.test.yml', ops));
    const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]));
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });
});

describe('metric names of the rules and the dashboard, against live processes', () => {
  let db: TestDatabase;
  let broker: Broker;
  let sim: CanarySim;
  const children: CliProcess[] = [];
  let exposed: Family[] = [];

  async function scrape(name: string, child: CliProcess, port: number): Promise<string> {
    return waitFor(`${name}'s /metrics`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${child.output()}`);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startBroker();
    sim = await startCanarySim({ port: 0 });
    const ingestPort = await freePort();
    const workerPort = await freePort();
    const ingest = spawnCli(['ingest'], {
      MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), METRICS_PORT: String(ingestPort), METRICS_HOST: '127.0.0.1',
      INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'uns-meta-spool-')),
    });
    const worker = spawnCli(['worker'], testEnv(sim, db, { METRICS_PORT: String(workerPort) }));
    children.push(ingest, worker);
    const texts = await Promise.all([scrape('uns-meta ingest', ingest, ingestPort), scrape('uns-meta worker', worker, workerPort)]);
    exposed = texts.flatMap(families);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGTERM');
      await child.exited;
    }
    await sim.close();
    await broker.stop();
    await db.drop();
  });

  it('every metric the alerts and the dashboard use is exposed by the ingestor or the worker', () => {
    const available = new Set(['up', ...exposed.flatMap(seriesNames)]);
    const used = metricNames([read(alertsFile), ...dashboardExprs()].join('\n'));
    expect(used.size).toBeGreaterThanOrEqual(25);
    expect([...used].filter((n) => !available.has(n)).sort()).toEqual([]);
  });

  it('every exposed metric follows the naming conventions (_total counters, _seconds, _bytes)', () => {
    // Node's process metrics come from prom-client (collectDefaultMetrics), prefixed per process; their names are
    // prom-client's (its nodejs_active_*_total are gauges), so only the names this project chose are checked.
    expect(exposed.filter((f) => !f.name.startsWith('uns_meta_'))).toEqual([]);
    const ours = exposed.filter((f) => !/^uns_meta_(ingest|worker)_(process|nodejs)_/.test(f.name));
    expect(ours.length).toBeGreaterThanOrEqual(35);
    expect(ours.map((f) => [f.name, conventionProblem(f)]).filter(([, p]) => p !== undefined)).toEqual([]);
  });

  it('the convention check rejects what it should', () => {
    expect(conventionProblem({ name: 'uns_meta_x_requests', type: 'counter' })).toMatch(/_total/);
    expect(conventionProblem({ name: 'uns_meta_x_latency_ms', type: 'histogram' })).toMatch(/_seconds/);
    expect(conventionProblem({ name: 'uns_meta_x_body_kb', type: 'gauge' })).toMatch(/_bytes/);
    expect(conventionProblem({ name: 'uns_meta_x_depth_total', type: 'gauge' })).toMatch(/only counters/);
    expect(conventionProblem({ name: 'uns_meta_x_seconds_waited', type: 'gauge' })).toMatch(/unit must come last/);
    expect(conventionProblem({ name: 'uns_meta_x_wait_seconds_total', type: 'counter' })).toBeUndefined();
  });
});
