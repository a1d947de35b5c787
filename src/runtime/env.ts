// Environment variables, declared once: each process's schema (src/runtime/config/*.ts) is a table of variables,
// each with its default (as written in .env.example), its meaning, the form it expects and, for a secret, a flag
// that keeps its value out of every message. The table is validated with zod and resolved once at start-up.
//
// Why zod (4.x), not valibot (docs/architecture.md, "The shared runtime"): both are maintained; valibot is smaller
// (1.9 MB unpacked against 6.1 MB), which does not matter to a server process; zod has no dependencies and no
// install script and was already in the lock file (Stryker uses it). Only this file imports it.
//
// A bad value stops the process with one line and exit 78 (EX_CONFIG):
//   CANARY_URL: "htp:/x" is not an http(s) URL; expected http(s)://host[:port][/path], e.g. https://canary:55293
// A secret is named, never shown: `CANARY_API_TOKEN: is not set; expected ...`.
import { existsSync } from 'node:fs';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The variable at fault (the first one, when a rule joins several). */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
  }
}

/** Exit status of a configuration error (sysexits EX_CONFIG), as systemd's RestartPreventExitStatus expects. */
export const EXIT_CONFIG = 78;

export interface Variable<T> {
  /** The default as text, as .env.example writes it; undefined = unset (or computed, see `computed`). */
  readonly default: string | undefined;
  /** How an unset variable is resolved when that is not a constant (e.g. "the Sparkplug group"). */
  readonly computed?: string;
  readonly meaning: string;
  /** The form the variable takes, for the error line. */
  readonly expected: string;
  readonly secret?: boolean;
  /** Parses the text (the default already applied; undefined when unset and without default). */
  readonly schema: z.ZodType<T, string | undefined>;
}

export type Variables = Record<string, Variable<unknown>>;
export type Resolved<V extends Variables> = { [K in keyof V]: V[K] extends Variable<infer T> ? T : never };

/** One rule that spans variables: returns undefined when satisfied, else [variable, problem, expected]. */
export type CrossRule<V extends Variables> = (values: Resolved<V>) => [keyof V & string, string, string] | undefined;

export interface EnvSchema<V extends Variables> {
  /** What .env.example calls this schema: `[ingest]`, `[worker]`, ... */
  readonly section: string;
  readonly variables: V;
  readonly rules: readonly CrossRule<V>[];
}

export function envSchema<V extends Variables>(section: string, variables: V, rules: readonly CrossRule<V>[] = []): EnvSchema<V> {
  return { section, variables, rules };
}

/**
 * The one error line: `<VAR>: "<value>" <problem>; expected <form>`. A secret's value is never shown, nor the
 * password of a URL (`mqtt://user:***@broker`).
 */
export function configErrorLine(name: string, spec: Pick<Variable<unknown>, 'secret' | 'expected'>, raw: string | undefined, problem: string): string {
  const shown = raw === undefined || raw === '' || spec.secret ? '' : `${JSON.stringify(raw.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@'))} `;
  return `${name}: ${shown}${problem}; expected ${spec.expected}`;
}

/** Resolves every variable of a schema from env (unset or empty = the default), or throws one ConfigError. */
export function resolveEnv<V extends Variables>(schema: EnvSchema<V>, env: Env): Resolved<V> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema.variables)) {
    const given = env[name];
    const raw = given === undefined || given === '' ? spec.default : given;
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'is not valid';
      throw new ConfigError(name, configErrorLine(name, spec, given === '' ? undefined : given ?? raw, problem));
    }
    out[name] = parsed.data;
  }
  const values = out as Resolved<V>;
  for (const rule of schema.rules) {
    const broken = rule(values);
    if (broken) {
      const [name, problem, expected] = broken;
      throw new ConfigError(name, configErrorLine(name, { secret: schema.variables[name]?.secret, expected }, undefined, problem));
    }
  }
  return values;
}

/** Names of the secret variables of the given schemas (their values are scrubbed from every log line). */
export function secretNames(...schemas: Pick<EnvSchema<Variables>, 'variables'>[]): string[] {
  return schemas.flatMap((s) => Object.entries(s.variables).filter(([, v]) => v.secret).map(([name]) => name));
}

/**
 * Loads UNS_META_ENV_FILE (a `.env` file: NAME=value lines) into process.env with Node's own parser; variables
 * already set in the environment win. A missing file is a configuration error. Node's `--env-file` works as well.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.UNS_META_ENV_FILE;
  if (file === undefined || file === '') return;
  if (!existsSync(file)) throw new ConfigError('UNS_META_ENV_FILE', configErrorLine('UNS_META_ENV_FILE', { expected: 'the path of a readable .env file' }, file, 'does not exist'));
  process.loadEnvFile(file); // sets only the variables not set already
}

// ---- the variable kinds -------------------------------------------------------------------------------------

interface Common {
  meaning: string;
  secret?: boolean;
  computed?: string;
}

const text = z.string({ error: 'is not set' });
const optionalText = z.string().optional();

/** An integer in [min, max]. */
export function integer(d: number | undefined, min: number, max: number, c: Common): Variable<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}..${max}`;
  return {
    ...c, default: d === undefined ? undefined : String(d), expected,
    schema: text.regex(/^-?[0-9]+$/, 'is not an integer').transform(Number)
      .pipe(z.number().min(min, `is below ${min}`).max(max, `is above ${max}`)),
  };
}

/** An integer in [min, max], or undefined when unset. */
export function optionalInteger(min: number, max: number, c: Common): Variable<number | undefined> {
  const whole = integer(undefined, min, max, c);
  return { ...whole, schema: whole.schema.optional() };
}

/** A decimal number satisfying `ok` (described by `range`). */
export function decimal(d: number, range: string, ok: (n: number) => boolean, c: Common): Variable<number> {
  return {
    ...c, default: String(d), expected: `a number ${range}`,
    schema: text.regex(/^-?[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i, 'is not a number').transform(Number).refine(ok, `is not ${range}`),
  };
}

export function boolean(d: boolean, c: Common): Variable<boolean> {
  return {
    ...c, default: String(d), expected: 'true or false (also 1/0, yes/no, on/off)',
    schema: text.transform((s, ctx) => {
      if (/^(1|true|yes|on)$/i.test(s)) return true;
      if (/^(0|false|no|off)$/i.test(s)) return false;
      ctx.addIssue({ code: 'custom', message: 'is not a boolean' });
      return z.NEVER;
    }),
  };
}

/** Free text with a default. */
export function string(d: string, c: Common & { expected?: string; check?: [RegExp, string] }): Variable<string> {
  return { ...c, default: d, expected: c.expected ?? 'text', schema: c.check ? text.regex(c.check[0], c.check[1]) : text };
}

/** Text that may be unset (undefined); `check` = a pattern it must match and the problem when it does not. */
export function optionalString(c: Common & { expected?: string; check?: [RegExp, string] }): Variable<string | undefined> {
  return { ...c, default: undefined, expected: c.expected ?? 'text', schema: c.check ? z.string().regex(c.check[0], c.check[1]).optional() : optionalText };
}

/** Text that must be set (no default). */
export function required(c: Common & { expected: string }): Variable<string> {
  return { ...c, default: undefined, schema: text };
}

/** A URL whose scheme is one of `schemes` (without ':'); `rest` checks the parsed URL further. */
export function url(d: string | undefined, schemes: string[], expected: string, c: Common & { rest?: (u: URL) => string | undefined }): Variable<string> {
  const prefix = new RegExp(`^(${schemes.join('|')})://[^/]`, 'i');
  return {
    ...c, default: d, expected,
    schema: text.transform((s, ctx) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(s);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || !prefix.test(s)) {
        ctx.addIssue({ code: 'custom', message: `is not a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` });
        return z.NEVER;
      }
      const problem = c.rest?.(parsed);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return s;
    }),
  };
}

/** A URL as `url` checks it, or undefined when unset. */
export function optionalUrl(schemes: string[], expected: string, c: Common & { rest?: (u: URL) => string | undefined }): Variable<string | undefined> {
  const whole = url(undefined, schemes, expected, c);
  return { ...whole, schema: whole.schema.optional() };
}

/** One of the given words. */
export function oneOf<T extends string>(d: T, words: readonly T[], c: Common): Variable<T> {
  return { ...c, default: d, expected: `one of ${words.join(', ')}`, schema: z.enum(words as [T, ...T[]], { error: 'is not a valid choice' }) };
}
