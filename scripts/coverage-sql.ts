// `make coverage-sql`: which statements of the uns_meta plpgsql functions the pgTAP suite runs. On a private
// cluster (test/support/private-cluster.ts; the machine's shared cluster is never touched or restarted) started with
// `shared_preload_libraries = 'plpgsql_check'` and its profiler on, so every pg_prove session adds to one shared
// profile: deploy the database (scripts/deploy-db.sh), run every pgTAP file with pg_prove, then print
// scripts/coverage-sql.sql — statement and branch coverage per function, the statements never run (line and text),
// and what plpgsql_check_function finds. Needs Debian's postgresql-15-plpgsql-check (`make setup` installs it).
// Arguments: the pgTAP files or folders to run (default sql-tests/, all of them).
// Exits 1 when pg_prove fails (the report is printed anyway) or the cluster cannot start.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MACHINE_BIN_DIR, startPrivateCluster } from '../test/support/private-cluster.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DATABASE = 'uns_meta_coverage_sql';

/** Runs argv with its output passed through; resolves to whether it exited 0. */
function run(argv: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<boolean> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code === 0));
  });
}

async function main(tests: string[]): Promise<number> {
  const binDir = process.env.UNS_META_PG_BIN ?? MACHINE_BIN_DIR;
  if (!existsSync(join(binDir, '../lib/plpgsql_check.so'))) {
    console.error(`coverage-sql: ${join(binDir, '../lib/plpgsql_check.so')} is missing: install postgresql-15-plpgsql-check (make setup does)`);
    return 1;
  }
  const cluster = await startPrivateCluster({
    binDir, database: DATABASE,
    settings: [`shared_preload_libraries = 'plpgsql_check'`, 'plpgsql_check.profiler = on'],
  });
  try {
    const env = { ...process.env, ...cluster.env, PGOPTIONS: '-c client_min_messages=warning' };
    console.log(`== deploy ${DATABASE} on a private cluster (port ${cluster.port}, profiler on)`);
    await cluster.deploy();
    cluster.superuser('create extension if not exists pgtap', DATABASE);
    console.log(`\n== pgTAP (pg_prove, ${tests.join(' ')})`);
    const passed = await run(['pg_prove', '-U', 'uns_meta_admin', '-d', DATABASE, '--ext', '.sql', '-r', ...tests], env);
    // The extension only reads the profile the library kept in shared memory: created after the tests, it is
    // nothing they could see.
    cluster.superuser('create schema plpgsql_check; create extension plpgsql_check schema plpgsql_check', DATABASE);
    console.log('');
    const reported = await run(['psql', '-qX', '-v', 'ON_ERROR_STOP=1', '-h', cluster.dir, '-p', String(cluster.port), '-U', 'postgres',
      '-d', DATABASE, '-f', join(ROOT, 'scripts/coverage-sql.sql')], { ...env, PGPASSFILE: join(cluster.dir, 'no-password-file') }, '/');
    if (!passed) console.error('coverage-sql: pg_prove failed (above); the coverage is of a failing suite');
    return passed && reported ? 0 : 1;
  } finally {
    await cluster.destroy();
  }
}

const args = process.argv.slice(2);
process.exitCode = await main(args.length > 0 ? args : ['sql-tests/']);
