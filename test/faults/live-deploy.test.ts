// Fault: a DBA runs `sqitch deploy` of a new change, and then `sqitch revert --to` of it, while the ingestor and the
// worker both run (issue 14). The change is what a DBA (or the next release) plausibly ships: a note per property,
// a column added to the hot table uns_meta.metric_properties with its ACCESS EXCLUSIVE lock held for a few seconds,
// and in the same transaction a `create or replace` of uns_meta.ingest_birth (the function the ingestor calls) whose
// session staging table has one more column, and of the step that copies it into metric_properties. It lives in a
// temporary copy of the Sqitch project (plan + deploy/revert/verify), never in the repository's plan, and is
// deployed and reverted by the real sqitch into this test's cloned database, while births of many devices go
// through a real Mosquitto into `uns-meta ingest` and `uns-meta worker` syncs them to the Canary simulator, both as
// real processes, without a pause. They must wait or retry, never corrupt: at the end every birth is applied in
// order (ingested, or spooled and replayed), nothing is dead-lettered, Canary equals PostgreSQL, both processes
// still run and answer /healthz and /readyz, and `sqitch verify` of the repository's project passes.
// It found that the ingestor's sessions of before the deploy kept their staging tables of the old shape, so every
// re-birth on them failed (42703, column p.dba_note does not exist) and went through the spool until the failed
// connection was replaced; ingest_birth_prepare_session now re-makes them when its definition changes.
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { type CliProcess, spawnCli } from '../support/cli.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { PROJECT_ROOT as ROOT, sqitch } from '../support/sqitch.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { publisher, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { allInSync, canaryProps, parity, setDebounce, testEnv } from '../worker/helpers.ts';

const DEVICES = 12;
/** At most this many rounds of births (one per device each): the deploy and the revert take longer than expected otherwise. */
const MAX_ROUNDS = 150;
/** How long each of the DBA's transactions holds ACCESS EXCLUSIVE on metric_properties. */
const LOCK_SECONDS = 4;
const CHANGE = 'tables/metric_properties_dba_note';
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let project: string;
let spool: string;
const children: CliProcess[] = [];

/** What `sqitch revert --to` returns to: the change before the DBA's in the copy's plan, the repository's last one.
 * Symbolic, since a change name alone is ambiguous when the last change is a rework (`name@HEAD` / `name@v0.4.0`). */
const BEFORE_DBA_CHANGE = '@HEAD^';

/** `text` with `from` replaced by `to`; throws when `from` is not there (the release's file changed: adapt the test). */
function edited(file: string, text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`${file} no longer holds ${JSON.stringify(from.slice(0, 80))}: update the DBA's change of this test`);
  return text.replace(from, to);
}

/** A release's deploy script of functions, as statements to run inside another change's transaction. */
function functionsOf(file: string, ...edits: [string, string][]): string {
  let text = readFileSync(join(ROOT, file), 'utf8').split('\n').filter((l) => l !== 'begin;' && l !== 'commit;').join('\n')
    .replaceAll(/^create function /gm, 'create or replace function ');
  for (const [from, to] of edits) text = edited(file, text, from, to);
  return text;
}

/**
 * A copy of the Sqitch project with one more change at the end of its plan, as a DBA (or the next release) would
 * ship it: a note per property. Deploy adds the column dba_note to metric_properties, holds the table's lock
 * LOCK_SECONDS, and re-creates ingest_birth with a staging table of one more column (uns_meta_stage_props.dba_note,
 * in ingest_birth_prepare_session) and ingest_birth__apply_property_changes copying it into metric_properties.
 * Revert drops the column under the same lock, as long, and re-creates the release's functions. Verify selects it.
 */
function dbaProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'uns-meta-dba-sqitch-'));
  for (const entry of ['sqitch.conf', 'sqitch.plan', 'deploy', 'revert', 'verify']) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  appendFileSync(join(dir, 'sqitch.plan'),
    `${CHANGE} [tables/metric_properties functions/ingest_birth] 2026-12-07T02:30:00Z Plant DBA <dba@plant.example> # A DBA's note per property, carried by ingest_birth\n`);
  const orchestrator = 'deploy/functions/ingest_birth.sql';
  const propertyChanges = 'deploy/functions/ingest_birth__apply_property_changes.sql';
  const withNote = [
    functionsOf(orchestrator, ['    problem        text\n', '    problem        text,\n    dba_note       text\n']),
    functionsOf(propertyChanges,
      ['value_bool, value_datetime)\n  select c.metric_id,', 'value_bool, value_datetime, dba_note)\n  select c.metric_id,'],
      ['p.value_bool, p.value_datetime\n    from uns_meta_stage_prop_changes', 'p.value_bool, p.value_datetime, p.dba_note\n    from uns_meta_stage_prop_changes']),
  ].join('\n');
  const release = [functionsOf(orchestrator), functionsOf(propertyChanges)].join('\n');
  writeFileSync(join(dir, `deploy/${CHANGE}.sql`), [
    `-- Deploy uns_meta:${CHANGE} to pg`, 'begin;',
    'alter table uns_meta.metric_properties add column dba_note text;',
    `select pg_sleep(${LOCK_SECONDS});`, withNote, 'commit;', ''].join('\n'));
  writeFileSync(join(dir, `revert/${CHANGE}.sql`), [
    `-- Revert uns_meta:${CHANGE} from pg`, 'begin;',
    'alter table uns_meta.metric_properties drop column dba_note;',
    `select pg_sleep(${LOCK_SECONDS});`, release, 'commit;', ''].join('\n'));
  writeFileSync(join(dir, `verify/${CHANGE}.sql`), [
    `-- Verify uns_meta:${CHANGE} on pg`, 'begin;', 'select dba_note from uns_meta.metric_properties where false;', 'rollback;', ''].join('\n'));
  return dir;
}


/**
 * Runs `run` and meanwhile watches the database for sessions of uns_meta_app (the ingestor's and the worker's)
 * waiting on a lock; resolves to run's result and how many distinct such sessions were seen waiting.
 */
async function watchingLockWaits<T>(run: Promise<T>): Promise<{ result: T; waiters: number }> {
  const seen = new Set<number>();
  let done = false;
  const settled = run.finally(() => (done = true));
  while (!done) {
    const { rows } = await db.pool('uns_meta_admin').query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and usename = 'uns_meta_app' and wait_event_type = 'Lock'`);
    for (const r of rows) seen.add(r.pid);
    await sleep(100);
  }
  return { result: await settled, waiters: seen.size };
}

function start(args: string[], env: Record<string, string>): CliProcess {
  const child = spawnCli(args, { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

async function until(child: CliProcess, want: RegExp): Promise<RegExpExecArray> {
  return waitFor(`${want} in the output of uns-meta ${child.spawnargs.slice(2).join(' ')}`, () => want.exec(child.output()) ?? undefined, 30_000);
}

/** The process runs, and its /healthz and /readyz answer 200. */
async function healthy(child: CliProcess, port: number): Promise<{ alive: boolean; healthz: number; readyz: number; checks: unknown }> {
  const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
  const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { alive: child.exitCode === null && child.signalCode === null, healthz: healthz.status, readyz: readyz.status, checks: await readyz.json() };
}

const lines = (child: CliProcess) => child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  sim = await startCanarySim({ port: 0 });
  project = dbaProject();
  spool = mkdtempSync(join(tmpdir(), 'uns-meta-live-deploy-spool-'));
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => Promise.race([c.exited, sleep(10_000)])));
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  await broker?.stop();
  await db?.drop().catch(() => undefined);
  if (project) rmSync(project, { recursive: true, force: true });
  if (spool) rmSync(spool, { recursive: true, force: true });
}, 60_000);

describe('a DBA deploys and reverts a Sqitch change while the ingestor and the worker run', () => {
  it(`sqitch deploy (a column on metric_properties, ${LOCK_SECONDS} s under its lock, ingest_birth re-created) and sqitch revert --to while ${DEVICES} devices send a birth every 400 ms: all applied, nothing dead-lettered, Canary = PostgreSQL, both processes healthy, sqitch verify passes`, { timeout: 240_000 }, async () => {
    const worker = start(['worker'], testEnv(sim, db, { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' }));
    const ingest = start(['ingest'], {
      DATABASE_URL: db.url('uns_meta_app'), MQTT_URL: broker.url, INGEST_SPOOL_DIR: spool, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1',
    });
    const workerPort = Number((await until(worker, /"metricsPort":(\d+)/))[1]);
    const ingestPort = Number((await until(ingest, /"event":"http\.listening","port":(\d+)/))[1]);
    await until(ingest, /"event":"mqtt\.subscribed"/);

    const pub = await publisher(broker.url);
    let deployed: Promise<{ result: string; waiters: number }> | undefined;
    let reverted: Promise<{ result: string; waiters: number }> | undefined;
    const settled = new Set<unknown>();
    const track = <T>(p: Promise<T>) => {
      void p.then(() => settled.add(p), () => settled.add(p));
      return p;
    };
    let rounds = 0;
    // The ingestor's database sessions (backend pids) when the deploy starts and when it has ended.
    const ingestSessions = async () => (await db.pool('uns_meta_admin').query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and application_name = 'uns-meta ingest'`)).rows.map((r) => r.pid);
    let sessionsBefore: number[] = [];
    let sessionsAfter: number[] = [];
    try {
      // A round of births every 400 ms, without pause, from before the deploy until after the revert: the
      // processes' sessions of before the deploy go on through both changes. The deploy starts once every device
      // exists and its metric is in Canary's queue; the revert as soon as the deploy is done.
      for (let after = 0; after < 3 && rounds < MAX_ROUNDS; rounds++) {
        if (rounds === 3) {
          sessionsBefore = await ingestSessions();
          deployed = track(watchingLockWaits(sqitch(db.name, ['deploy', '--verify'], project)));
        }
        if (deployed && settled.has(deployed) && !reverted) {
          sessionsAfter = await ingestSessions();
          reverted = track(watchingLockWaits(sqitch(db.name, ['revert', '-y', '--to', BEFORE_DBA_CHANGE], project)));
        }
        if (reverted && settled.has(reverted)) after++;
        for (const d of range(DEVICES)) await pub.publishAsync(`spBv1.0/Secil/DBIRTH/LiveDeploy/D${d}`, numberedBirth(rounds), { qos: 1 });
        await sleep(400);
      }
    } finally {
      await pub.endAsync();
    }
    const ROUNDS = rounds;
    const deploy = await deployed!;
    const revert = await reverted!;
    expect(deploy.result).toMatch(new RegExp(`\\+ ${CHANGE} \\.\\.\\s*ok`));
    expect(revert.result).toMatch(new RegExp(`- ${CHANGE} \\.\\.\\s*ok`));
    // The DBA's lock was in the way: the processes' sessions waited on it (the fault really happened).
    expect(deploy.waiters).toBeGreaterThan(0);
    expect(revert.waiters).toBeGreaterThan(0);

    // Every birth applied, in arrival order, once per device and round.
    const admin = db.pool('uns_meta_admin');
    await waitFor('every birth applied', async () => {
      for (const d of range(DEVICES)) if ((await appliedOrder(admin, `Secil/LiveDeploy/D${d}`)).length < ROUNDS) return false;
      return true;
    }, 120_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the ingestor's warnings and errors: ${lines(ingest).filter((r) => Number(r.level) >= 40).slice(-5).map((r) => JSON.stringify(r)).join(' ')}`);
    });
    for (const d of range(DEVICES)) expect(await appliedOrder(admin, `Secil/LiveDeploy/D${d}`)).toEqual(range(ROUNDS));
    // What the ingestor could not apply at once, it spooled and replayed (above). The one failure a deploy or revert
    // may cause: a birth inside the DBA's ingest_birth when the revert drops the column that function writes (42703).
    // Never one of a session's staging tables made before the deploy (ingest_birth_prepare_session re-makes them).
    const failures = lines(ingest).filter((r) => ['db.unavailable', 'birth.failed', 'spool.replay_failed'].includes(String(r.event))).map((r) => String(r.err));
    expect(failures.filter((e) => !e.includes('column "dba_note" of relation "metric_properties" does not exist'))).toEqual([]);
    // ... and sessions the ingestor had before the deploy still served it after (a failed one is replaced).
    expect(sessionsAfter.filter((pid) => sessionsBefore.includes(pid))).not.toEqual([]);
    await waitFor('the spool empty', () => readdirSync(spool).filter((f) => f.endsWith('.msg')).length === 0, 60_000);

    // No dead letter, of the ingestor nor of the worker.
    const { rows: [letters] } = await admin.query<{ ingest: number; canary: number }>(
      'select (select count(*)::int from uns_meta.dead_letters) as ingest, (select count(*)::int from uns_meta.canary_dead_letters) as canary');
    expect(letters).toEqual({ ingest: 0, canary: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${ingestPort}/metrics`)).text();
    expect(metrics).toContain(`uns_meta_ingest_births_received_total{type="DBIRTH"} ${DEVICES * ROUNDS}`);

    // Canary = PostgreSQL: every metric confirmed at its current version, the simulator holds the last birth's n.
    const workerLines = () => lines(worker).filter((r) => Number(r.level) >= 40 && !String(r.msg).startsWith('could not refresh')).slice(-5).map((r) => JSON.stringify(r)).join(' ');
    const jobs = async () => JSON.stringify((await admin.query('select task_identifier, attempts, run_at, locked_at, last_error from graphile_worker.jobs')).rows);
    const pendingDetail = async () => {
      const { rows: pend } = await admin.query<{ device_id: string }>(`select m.device_id::text, m.metric_id, m.version, m.updated_at, s.confirmed_version, s.confirmed_at
          from uns_meta.metrics m left join uns_meta.canary_sync_state s using (metric_id) where s.confirmed_version is distinct from m.version`);
      const ids = new Set(pend.map((r) => r.device_id));
      const synced = lines(worker).filter((r) => ids.has(String(r.deviceId))).slice(-4).map((r) => JSON.stringify(r));
      return `${JSON.stringify(pend)}; its worker lines: ${synced.join(' ')}`;
    };
    await waitFor('Canary in sync', () => allInSync(db), 120_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}; parity: ${(await parity(db)).map((r) => r.status).join(' ')}; the worker's last warnings: ${workerLines()}; jobs: ${await jobs()}; pending: ${await pendingDetail()}`);
    });
    // A warning of the worker while the DBA's lock was held names the lock, not a database that is not deployed.
    expect(lines(worker).filter((r) => String(r.msg).includes('deployed with sqitch')).map((r) => r.msg)).toEqual([]);
    const rows = await parity(db);
    expect(rows).toHaveLength(DEVICES);
    for (const r of rows) expect(canaryProps(sim, r.canary_tag ?? '')).toMatchObject({ n: ROUNDS - 1 });

    // Both processes still run and say they are healthy and ready; the worker's liveness session is there.
    expect(await healthy(ingest, ingestPort)).toMatchObject({ alive: true, healthz: 200, readyz: 200 });
    expect(await healthy(worker, workerPort)).toMatchObject({ alive: true, healthz: 200, readyz: 200, checks: { runner: 'running', postgres: 'reachable' } });
    const { rowCount } = await admin.query("select 1 from pg_stat_activity where datname = current_database() and application_name like 'uns-meta-worker pool-%'");
    expect(rowCount).toBe(1);

    // The database is the release's again: the column is gone and the repository's project verifies.
    const { rows: cols } = await admin.query(`select 1 from pg_attribute where attrelid = 'uns_meta.metric_properties'::regclass and attname = 'dba_note' and not attisdropped`);
    expect(cols).toHaveLength(0);
    const verified = await sqitch(db.name, ['verify']);
    expect(verified).toContain('Verify successful');
    expect(verified).not.toContain(CHANGE);
  });
});
