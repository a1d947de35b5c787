// `uns-meta canary-sim`: run the Canary Write API simulator until SIGINT/SIGTERM. See docs/canary-sim.md.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { canarySimSchema } from '../runtime/config/canary-sim.ts';
import { resolveEnv } from '../runtime/env.ts';
import { createLogger } from '../runtime/log.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';
import { startCanarySim, type FaultConfig } from '../canary-sim/index.ts';
import { parseFaultPatch } from '../canary-sim/faults.ts';

export const summary = 'run the Canary Write API simulator (HTTP or HTTPS) for the demo, tests and benchmarks';

const HELP = `Usage: uns-meta canary-sim [options]

Serves Canary's Write API (POST /api/v1/<method>) with read-back and fault routes under /sim/.

Options:
  --host <addr>             interface to listen on (default 127.0.0.1)
  --port <n>                port (default 55293, Canary's SaF web API port; 0 = any free port)
  --tls-cert <file>         PEM certificate: serve HTTPS (needs --tls-key)
  --tls-key <file>          PEM private key
  --api-token <token>       apiToken getSessionToken must present (prefer env CANARY_SIM_API_TOKEN:
                            command lines are visible to other users)
  --datasets <a,b,...>      datasets that exist at start (default Secil,Test)
  --rate-limit <n>          requests allowed in any one-second window (default 500)
  --enforce-rate-limit      answer HTTP 429 beyond the rate limit (default: only count and report)
  --session-idle-ms <n>     session idle timeout when the client sets no clientTimeout (default 60000)
  --faults <json>           faults in force from the start, e.g. '{"serverError":{"fraction":0.1}}'
  --request-log-limit <n>   request-log entries kept in memory (default 10000)
  --log-level <level>       pino level: debug logs one line per request (default info, env LOG_LEVEL)
  -h, --help                show this help

Environment: CANARY_SIM_API_TOKEN (the API token), LOG_LEVEL.
Logs are JSON lines on stdout; the first info line is {"msg":"listening","url":...}. Tokens are never logged.`;

class UsageError extends Error {}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function parseFaults(raw: string | undefined): FaultConfig | undefined {
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--faults is not valid JSON: ${(err as Error).message}`);
  }
  const patch = parseFaultPatch(json);
  if (!patch.ok) throw new UsageError(`--faults: ${patch.error}`);
  const faults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch.value)) if (value !== null) faults[key] = value;
  return faults;
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'api-token': { type: 'string' },
        datasets: { type: 'string' },
        'rate-limit': { type: 'string' },
        'enforce-rate-limit': { type: 'boolean', default: false },
        'session-idle-ms': { type: 'string' },
        faults: { type: 'string' },
        'request-log-limit': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`uns-meta canary-sim: ${(err as Error).message}\n\n${HELP}`);
    return 64;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }

  const env = configure('uns-meta canary-sim', () => resolveEnv(canarySimSchema, process.env));
  if (env === undefined) return EXIT_CONFIG;
  let options;
  let level: string;
  try {
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
      throw new UsageError('--tls-cert and --tls-key go together: give both for HTTPS, or neither for HTTP');
    }
    options = {
      host: values.host,
      port: integer('port', values.port, 55293, 0),
      apiToken: values['api-token'] || env.CANARY_SIM_API_TOKEN,
      datasets: values.datasets
        ?.split(',')
        .map((d) => d.trim())
        .filter((d) => d !== ''),
      rateLimitRps: integer('rate-limit', values['rate-limit'], 500, 1),
      enforceRateLimit: values['enforce-rate-limit'],
      sessionIdleMs: integer('session-idle-ms', values['session-idle-ms'], 60_000, 1),
      faults: parseFaults(values.faults),
      requestLogLimit: integer('request-log-limit', values['request-log-limit'], 10_000, 0),
    };
    level = values['log-level'] || process.env.LOG_LEVEL || 'info';
    if (!Object.hasOwn(pino.levels.values, level) && level !== 'silent') {
      throw new UsageError(`--log-level must be one of ${Object.keys(pino.levels.values).join(', ')}, silent; got "${level}"`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`uns-meta canary-sim: ${err.message}\nRun \`uns-meta canary-sim --help\` for the options.`);
    return 64;
  }

  const log = createLogger('uns-meta-canary-sim', { level, secrets: [options.apiToken] });
  let tls;
  if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
    try {
      tls = { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']) };
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cannot read the TLS certificate or key; check --tls-cert/--tls-key');
      return 66;
    }
  }

  let sim;
  try {
    sim = await startCanarySim({
      ...options,
      tls,
      onRequest: (e) =>
        log.debug(
          {
            seq: e.seq,
            method: e.method,
            outcome: e.outcome,
            httpStatus: e.httpStatus,
            bodyBytes: e.bodyBytes,
            tags: e.tags,
            propertyRows: e.propertyRows,
            faults: e.faults.length > 0 ? e.faults : undefined,
            sessionId: e.sessionId ?? undefined,
            durationMs: e.durationMs === null ? undefined : Math.round(e.durationMs * 10) / 10,
          },
          'request',
        ),
    });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'canary-sim could not start; is the port free and the address local?');
    return 69;
  }

  log.info(
    {
      url: sim.url,
      datasets: sim.state.datasets(),
      apiTokenRequired: options.apiToken !== undefined,
      rateLimitRps: options.rateLimitRps,
      enforceRateLimit: options.enforceRateLimit,
    },
    'listening',
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const stats = sim.state.stats();
  await sim.close();
  log.info(
    { signal, received: stats.requests.received, maxReceivedInAnyWindow: stats.rate.maxReceivedInAnyWindow },
    'stopped',
  );
  return 0;
}
