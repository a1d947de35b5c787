// `uns-meta demo`: the pipeline on the embedded default. Decodes the plant's DBIRTH (a binary Sparkplug B
// payload shipped in fixtures/), applies it with uns_meta.ingest_birth twice (the second time is a no-op),
// and shows what an analyst sees. The MQTT ingestor and the Canary worker join as they land.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createPool, describeConnection } from '../db.ts';
import { decodePayload } from '../sparkplug/decode.ts';

export const summary = 'run the pipeline on the embedded default (needs a deployed database: `make demo`)';

const embeddedBirth = {
  topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement',
  file: new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.bin', import.meta.url),
};

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`Usage: uns-meta demo\n\n${summary}\nConnects with DATABASE_URL (or PG*), as the service role uns_meta_app.`);
    return 0;
  }
  const pool = createPool('uns-meta demo', { max: 1 });
  try {
    const { rows } = await pool.query<{ role: string; db: string; debounce: string }>(
      `select current_user as role, current_database() as db,
              uns_meta.setting_interval('debounce_interval')::text as debounce`,
    );
    const r = rows[0];
    if (!r) throw new Error('the status query returned no row');
    console.log(`demo: connected to ${describeConnection()} as ${r.role}; debounce_interval = ${r.debounce}`);

    const payload = decodePayload(await readFile(embeddedBirth.file));
    console.log(`demo: decoded ${embeddedBirth.topic}: ${payload.metrics?.length ?? 0} metrics`);
    const birth = JSON.stringify({ topic: embeddedBirth.topic, received_at: new Date().toISOString(), payload });
    for (const attempt of ['first birth', 'same birth again']) {
      const res = await pool.query<{ s: unknown }>('select uns_meta.ingest_birth($1::jsonb) as s', [birth]);
      console.log(`demo: ingest_birth (${attempt}): ${JSON.stringify(res.rows[0]?.s)}`);
    }
    const tags = await pool.query<{ plant: string; area: string; tag: string; canary_id: string; version: number }>(
      `select plant, area, tag, canary_id, version from uns_meta.metric_hierarchy
        where device_id = (select device_id from uns_meta.devices where uns_path = 'Secil/Portugal/Cement')
        order by canary_id`,
    );
    for (const t of tags.rows) console.log(`demo:   ${t.canary_id} (plant ${t.plant}, area ${t.area}, tag ${t.tag}, version ${t.version})`);
    return 0;
  } catch (err) {
    console.error(`demo: ${(err as Error).message} (database ${describeConnection()}); run \`make db\` to deploy it.`);
    return 1;
  } finally {
    await pool.end();
  }
}
