#!/usr/bin/env node
// The `uns-meta` command: one entry point, one module per subcommand (src/commands/<name>.ts).
// Each subcommand module exports `run(args: string[]): Promise<number>` and a one-line `summary`.
// UNS_META_ENV_FILE (a .env file) is loaded first, so every command sees its variables (src/runtime/env.ts).
import { ConfigError, EXIT_CONFIG, loadEnvFile } from './runtime/env.ts';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  demo: () => import('./commands/demo.ts'),
  decode: () => import('./commands/decode.ts'),
  encode: () => import('./commands/encode.ts'),
  ingest: () => import('./commands/ingest.ts'),
  'canary-sim': () => import('./commands/canary-sim.ts'),
  worker: () => import('./commands/worker.ts'),
  canary: () => import('./commands/canary.ts'),
  db: () => import('./commands/db.ts'),
  status: () => import('./commands/status.ts'),
  watch: () => import('./commands/watch.ts'),
};

async function usage(): Promise<string> {
  const lines = ['Usage: uns-meta <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const { summary } = await load();
    lines.push(`  ${name.padEnd(14)}${summary}`);
  }
  lines.push('', 'Run `uns-meta <command> --help` for the options of one command.');
  lines.push('Database: DATABASE_URL, or the standard PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE).');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  try {
    loadEnvFile();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`uns-meta: ${err.message}`);
    return EXIT_CONFIG;
  }
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`uns-meta: unknown command "${name}"\n\n${await usage()}`);
    return 64;
  }
  return (await load()).run(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // An error no command expected: one line for the operator; the stack only when asked for (LOG_LEVEL=debug).
  const message = err instanceof Error ? err.message || err.name : String(err);
  console.error(`uns-meta ${process.argv[2] ?? ''}: ${message}${process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace' ? `\n${(err as Error).stack ?? ''}` : ' (LOG_LEVEL=debug shows the stack)'}`);
  process.exitCode = 1;
}
