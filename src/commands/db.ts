// `uns-meta db contract [--check] [--file <path>]`: write the schema contract of the deployed database
// (docs/contracts/postgres_schema.json), or check that the database still matches it. See docs/schema.md.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CONTRACT_FILE, contractDiff, contractText, readContract } from '../contract/schema-contract.ts';
import { connectionConfig, describeConnection } from '../runtime/database.ts';
import { checkDatabaseEnv } from '../runtime/config/common.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';

export const summary = 'database tools: `db contract` writes or checks docs/contracts/postgres_schema.json';

const HELP = `Usage: uns-meta db contract [--check] [--file <path>]

Reads the uns_meta schema of the database (DATABASE_URL, or the PG* variables) — tables, columns, types,
constraints, indexes, triggers, views, functions and grants — and writes it as JSON to
docs/contracts/postgres_schema.json (or --file). With --check it writes nothing: it compares the database
with the file and prints every difference.

Exit status: 0 written, or no difference; 1 the database differs from the file (--check) or cannot be
read; 64 usage error. See docs/schema.md#schema-contract.`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub === undefined ? 64 : 0;
  }
  if (sub !== 'contract') {
    console.error(`uns-meta db: unknown subcommand "${sub}"; the one subcommand is \`contract\` (see uns-meta db --help)`);
    return 64;
  }
  let check = false;
  let file = fileURLToPath(CONTRACT_FILE);
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--check') check = true;
    else if (rest[i] === '--file' && rest[i + 1] !== undefined) file = rest[++i]!;
    else if (rest[i] === '--help' || rest[i] === '-h') {
      console.log(HELP);
      return 0;
    } else {
      console.error(`uns-meta db contract: unknown option "${rest[i]}"; options are --check and --file <path>`);
      return 64;
    }
  }
  if (configure('uns-meta db contract', () => checkDatabaseEnv()) === undefined) return EXIT_CONFIG;
  const client = new pg.Client({ ...connectionConfig(), application_name: 'uns-meta db contract' });
  try {
    await client.connect();
    const contract = await readContract(client);
    if (!check) {
      await writeFile(file, contractText(contract));
      console.log(`uns-meta db contract: wrote ${file}`);
      return 0;
    }
    const expected = JSON.parse(await readFile(file, 'utf8')) as Parameters<typeof contractDiff>[0];
    const diff = contractDiff(expected, contract);
    if (diff.length === 0) {
      console.log(`uns-meta db contract: the database matches ${file}`);
      return 0;
    }
    console.error(`uns-meta db contract: the database differs from ${file} (- file, + database); ` +
      'if the change is intended, regenerate the file with `uns-meta db contract` and commit it:');
    for (const line of diff) console.error(line);
    return 1;
  } catch (err) {
    console.error(`uns-meta db contract: cannot read the schema of ${describeConnection()}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}
