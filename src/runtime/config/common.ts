// The variables every command reads (section [common] of .env.example) and the database's (section [database]):
// DATABASE_URL, else the standard libpq variables, resolved by src/runtime/database.ts.
import { type Env, envSchema, oneOf, optionalInteger, optionalString, optionalUrl, resolveEnv } from '../env.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const commonSchema = envSchema('common', {
  LOG_LEVEL: oneOf<LogLevel>('info', LOG_LEVELS, { meaning: 'log level of every command (JSON lines; debug shows a failing command\'s stack)' }),
  UNS_META_ENV_FILE: optionalString({ meaning: 'a .env file (NAME=value lines) loaded at start; variables already set win', expected: 'the path of a readable .env file' }),
});

/** The variables of a command that reads only the database (status, db, demo); throws ConfigError. */
export function checkDatabaseEnv(env: Env = process.env): true {
  resolveEnv(commonSchema, env);
  resolveEnv(databaseSchema, env);
  return true;
}

export const databaseSchema = envSchema('database', {
  DATABASE_URL: optionalUrl(['postgres', 'postgresql'], 'postgres://<role>@<host>:<port>/<database>[?application_name=|sslmode=|options=]', {
    meaning: 'the database (put no password in it: use PGPASSFILE)',
    computed: 'the PG* variables',
    secret: true, // it may carry a password: an error names it, never shows it
  }),
  PGHOST: optionalString({ meaning: 'database host (libpq)', computed: 'localhost' }),
  PGPORT: optionalInteger(1, 65535, { meaning: 'database port (libpq)', computed: '5432' }),
  PGUSER: optionalString({ meaning: 'database role (libpq)', computed: 'the OS user' }),
  PGDATABASE: optionalString({ meaning: 'database name (libpq)', computed: 'the role\'s name' }),
  PGPASSWORD: optionalString({ meaning: 'database password (prefer PGPASSFILE)', secret: true }),
  PGPASSFILE: optionalString({ meaning: 'libpq password file (host:port:database:user:password lines)', computed: '~/.pgpass', expected: 'a file path' }),
});
