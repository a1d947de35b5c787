// Every configuration schema, in the order .env.example lists them (test/runtime/env-example.test.ts holds the
// file to them). Which command reads which: [common] every command; [database] every command with a database
// (ingest, worker, canary, status, db, demo); [ingest] `uns-meta ingest` (and INGEST_SPOOL_DIR `uns-meta status`);
// [worker] `uns-meta worker` and `uns-meta canary resync|replay`; [status] the status topic of `uns-meta ingest` and
// `uns-meta worker`; [canary-sim] `uns-meta canary-sim`.
import { canarySimSchema } from './canary-sim.ts';
import { commonSchema, databaseSchema } from './common.ts';
import { ingestSchema } from './ingest.ts';
import { statusSchema } from './status.ts';
import { workerSchema } from './worker.ts';

export const allSchemas = [commonSchema, databaseSchema, ingestSchema, workerSchema, statusSchema, canarySimSchema] as const;
