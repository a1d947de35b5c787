// The demo's SQL, kept in src/demo/sql/*.sql and read once.
import { readFileSync } from 'node:fs';

const names = ['status', 'device-state', 'hierarchy', 'parity'] as const;
export type DemoSqlName = (typeof names)[number];

export const demoSql: Record<DemoSqlName, string> = Object.fromEntries(
  names.map((name) => [name, readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8')]),
) as Record<DemoSqlName, string>;
