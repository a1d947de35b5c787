// A pipeline built directly (no MQTT, no service) on the file's database through its TCP proxy, with a real spool
// directory: for tests that take the timing of an outage or a refused spool write in hand. Registers the teardown
// (stop the pipeline, remove the spool, restore the proxy) with vitest; call it once at the top of a test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type IngestMetrics, createMetrics } from '../../../src/ingest/metrics.ts';
import { type Pipeline, createPipeline } from '../../../src/ingest/pipeline.ts';
import { createRebirthRequester } from '../../../src/ingest/rebirth.ts';
import { Spool, type SpooledMessage } from '../../../src/ingest/spool.ts';
import { ingestSql } from '../../../src/ingest/sql.ts';
import { loadIngestConfig } from '../../../src/runtime/config/ingest.ts';
import type { IngestEnvironment } from './environment.ts';

export type AppendWrapper = (append: (m: SpooledMessage) => Promise<void>) => (m: SpooledMessage) => Promise<void>;

export interface StartedPipeline {
  pipeline: Pipeline;
  metrics: IngestMetrics;
  spool: Spool;
  /** The raw log lines, in order. */
  lines: string[];
  /** Parsed log records. */
  records(): Record<string, unknown>[];
  /** The NCMD topics of the rebirth requests published. */
  rebirths: string[];
}

export interface PipelineOptions {
  /** The database probe's backoff cap (default 200 ms). */
  probeMaxMs?: number;
  /** Wraps the spool's append, to refuse or delay chosen writes. */
  wrap?: AppendWrapper;
}

/** `start(settings)` builds a pipeline with the INGEST_* `settings`; at most one runs at a time per file. */
export function useProxiedPipeline(env: IngestEnvironment): (settings?: Record<string, string>, options?: PipelineOptions) => Promise<StartedPipeline> {
  let pool: pg.Pool;
  let dir: string | undefined;
  let running: Pipeline | undefined;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: env.viaProxy(), connectionTimeoutMillis: 2000, max: 5 });
    pool.on('error', () => undefined); // connections the proxy cuts while idle
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    await env.proxy.restore().catch(() => undefined);
  });

  afterAll(async () => {
    await pool.end();
  });

  return async (settings = {}, options = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'uns-meta-pipeline-'));
    const { spool } = await Spool.open(dir);
    if (options.wrap) spool.append = options.wrap(spool.append.bind(spool));
    const lines: string[] = [];
    const rebirths: string[] = [];
    const metrics = createMetrics();
    running = createPipeline({
      pool, sql: ingestSql, spool, metrics,
      log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }),
      rebirth: createRebirthRequester({ enabled: true, intervalMs: 60_000 }, (topic) => {
        rebirths.push(topic);
        return Promise.resolve();
      }, metrics),
      limits: loadIngestConfig(settings),
      probeMaxMs: options.probeMaxMs ?? 200,
    });
    return { pipeline: running, metrics, spool, lines, rebirths, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };
}
