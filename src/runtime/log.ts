// The one logger factory of every uns-meta command (docs/deployment.md, "Logs"): pino JSON lines with `level`
// (number), `time` (ISO 8601, UTC), `pid`, `name` (the process) and `msg`. Two defences against leaking a secret,
// for every command:
//   - fields named like a secret (apiToken, sessionToken, password, token, ...) are censored by pino's `redact`;
//   - every serialized line passes through `scrub`, which replaces the value of each secret variable of every
//     schema (MQTT_PASSWORD, CANARY_API_TOKEN, CANARY_SIM_API_TOKEN, PGPASSWORD, DATABASE_URL) and the database
//     password (from DATABASE_URL or the password file) wherever it appears — a message, an error's text, a
//     stack — raw, JSON-escaped or URL-encoded, with "[redacted]".
// Callers still never log a secret on purpose.
import pino from 'pino';
import { allSchemas } from './config/index.ts';
import { databasePassword } from './database.ts';
import { type Env, secretNames } from './env.ts';
import type { LastError } from './status.ts';

export type Logger = pino.Logger;

/** Field paths censored in every log line, at the top level and one object down. */
const SECRET_FIELDS = ['apiToken', 'sessionToken', 'password', 'token', 'authorization'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);

/** Replaces every occurrence of each secret (raw, JSON-escaped and URL-encoded) by "[redacted]". */
export function secretScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === undefined || s.length < 1) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  const needles = [...forms].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join('[redacted]');
    return out;
  };
}

/** The values of every secret variable any schema declares, and the database password, as env gives them. */
export function secretValues(env: Env): string[] {
  const names = secretNames(...allSchemas);
  const values = names.map((n) => env[n]).filter((v): v is string => v !== undefined && v !== '');
  const db = databasePassword(env);
  return db === undefined ? values : [...values, db];
}

export interface LoggerOptions {
  /** Default: LOG_LEVEL of env, else info. */
  level?: string;
  /** Where the environment's secrets come from (default process.env). */
  env?: Env;
  /** More values to scrub (e.g. a token given on the command line). */
  secrets?: readonly (string | undefined)[];
  /** Default stdout (synchronous, so a crash loses no line). */
  destination?: pino.DestinationStream;
  /** Filled with each error (or fatal) line's message, scrubbed: the status topic reports it (src/runtime/status.ts). */
  lastError?: LastError;
}

/** A logger named for the process (`uns-meta-ingest`, `uns-meta-worker`, ...), secrets redacted. */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const scrub = secretScrubber([...secretValues(env), ...(options.secrets ?? [])]);
  return pino(
    {
      name,
      level: options.level ?? (env.LOG_LEVEL || 'info'),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        streamWrite: scrub,
        logMethod(args, method, level) {
          if (options.lastError && level >= 50) {
            const msg = args.find((a): a is string => typeof a === 'string');
            options.lastError.message = scrub(msg ?? 'error');
            options.lastError.at = new Date().toISOString();
          }
          method.apply(this, args);
        },
      },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}
