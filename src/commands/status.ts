// `uns-meta status [--json]`: the database, the job queue, dead letters, Canary parity, the local spool and the
// last birth per device in one screen; exit 1 when something needs attention. See docs/operations.md.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { spoolDirOf } from '../runtime/config/ingest.ts';
import { createPool } from '../runtime/database.ts';
import { collectStatus, type StatusReport } from '../status/index.ts';
import { checkDatabaseEnv } from '../runtime/config/common.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';

export const summary = 'one screen of health: database and plan, job queue, dead letters, Canary parity, spool, devices (--json)';

const HELP = `Usage: uns-meta status [--json] [--devices <n>]

Reads the database (DATABASE_URL or PG*), the checkout's sqitch.plan and the ingestor's spool directory
(INGEST_SPOOL_DIR) and prints: the database and whether the plan is deployed (any of our roles, through
uns_meta.deployed_changes()), the settings, the job queue, dead letters, Canary parity, the spool depth (on an
ingestor host) and the last birth of each device. Lists what needs attention.

  --json          print the report as one JSON object (shape: docs/operations.md)
  --devices <n>   devices shown in the text report (default 10; --json has all)

Exit status: 0 nothing needs attention; 1 something does (listed); 64 usage error.`;

function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function render(r: StatusReport, devices: number): string {
  const lines: string[] = [];
  const d = r.database;
  if (d) {
    const plan = d.plan.state === 'deployed' ? `plan deployed (${d.plan.plan_changes} changes)`
      : d.plan.state === 'behind' ? `plan BEHIND: ${d.plan.pending.length} of ${d.plan.plan_changes} changes pending`
        : d.plan.state === 'mismatch' ? 'plan MISMATCH' : `plan unknown (${d.plan.reason ?? ''})`;
    lines.push(`database   ${d.name} as ${d.role}, PostgreSQL ${d.server_version}; ${plan}; graphile_worker ${d.graphile_worker_schema ? 'present' : 'MISSING'}`);
    if (d.settings) lines.push(`settings   ${Object.entries(d.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
  } else {
    lines.push('database   unreachable');
  }
  if (r.jobs) {
    lines.push(`jobs       ${r.jobs.waiting} waiting (${r.jobs.due} due, oldest ${age(r.jobs.oldest_waiting_seconds)}), ${r.jobs.running} running, ${r.jobs.failed} failed`);
  }
  if (r.dead_letters) {
    lines.push(`dead       ingest ${r.dead_letters.ingest_total} (${r.dead_letters.ingest_last_24h} in 24 h), Canary ${r.dead_letters.canary_open} open`);
  }
  if (r.parity) lines.push(`parity     ${Object.entries(r.parity).map(([k, v]) => `${k} ${v}`).join(', ') || 'no metrics'}`);
  lines.push(r.spool ? `spool      ${r.spool.depth} births in ${r.spool.dir}` : 'spool      none here (not an ingestor host)');
  if (r.devices) {
    lines.push(`devices    ${r.devices.length}${r.devices.length > devices ? ` (the ${devices} latest)` : ''}`);
    for (const dev of r.devices.slice(0, devices)) lines.push(`  ${dev.last_birth_at}  ${dev.device_id.padStart(6)}  ${dev.uns_path}`);
  }
  lines.push(r.ok ? 'ok         nothing needs attention' : 'ATTENTION');
  for (const a of r.attention) lines.push(`  - ${a}`);
  return lines.join('\n');
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: { json: { type: 'boolean', default: false }, devices: { type: 'string', default: '10' }, help: { type: 'boolean', short: 'h', default: false } } }));
  } catch (err) {
    console.error(`uns-meta status: ${(err as Error).message}`);
    return 64;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!/^[0-9]+$/.test(values.devices)) {
    console.error(`uns-meta status: --devices must be a number, got "${values.devices}"`);
    return 64;
  }
  if (configure('uns-meta status', () => checkDatabaseEnv()) === undefined) return EXIT_CONFIG;
  const pool = createPool({ name: 'uns-meta status', max: 1, connectionTimeoutMillis: 5000 });
  try {
    const report = await collectStatus(pool, {
      planText: readFileSync(new URL('../../sqitch.plan', import.meta.url), 'utf8'),
      spoolDir: spoolDirOf(process.env),
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : render(report, Number(values.devices)));
    return report.ok ? 0 : 1;
  } finally {
    await pool.end();
  }
}
