// The demo's SQL, one statement per file in ./sql (src/runtime/sql.ts loads them).
import { loadSql } from '../runtime/sql.ts';

export const demoSql = loadSql(new URL('./sql/', import.meta.url), ['status', 'device-state', 'hierarchy', 'parity']);
export type DemoSqlName = keyof typeof demoSql;
