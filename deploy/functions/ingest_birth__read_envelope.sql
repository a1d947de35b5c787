-- Deploy uns_meta:functions/ingest_birth__read_envelope to pg
-- requires: functions/decode_property_value
begin;

-- Step 1 of ingest_birth: the envelope {"topic", "received_at"?, "payload", "chunk"?, "fingerprint"?}. Checks it
-- (U0001-U0003) and returns its parts; o_source is the `source` every version and lineage row of the birth carries;
-- o_fingerprint is the ingestor's sha-256 of the birth (docs/sql-api.md, "Identical re-births"), null without one.
create function uns_meta.ingest_birth__read_envelope(
  birth jsonb,
  out o_topic text, out o_parts text[], out o_received_at timestamptz, out o_metrics jsonb,
  out o_chunk_index integer, out o_last boolean, out o_source text, out o_fingerprint bytea)
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
begin
  o_last := true;
  if jsonb_typeof(birth) is distinct from 'object' then
    raise exception using errcode = 'U0001',
      message = 'ingest_birth: the argument must be a JSON object {"topic": ..., "received_at": ..., "payload": {...}}';
  end if;
  if jsonb_typeof(birth -> 'topic') is distinct from 'string' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "topic" is missing or not a string';
  end if;
  o_topic := birth ->> 'topic';
  o_parts := string_to_array(o_topic, '/');
  if cardinality(o_parts) < 4 or o_parts[1] <> 'spBv1.0' then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s) is not a Sparkplug B topic spBv1.0/<group>/<type>/<edge>[/<device>]', o_topic);
  end if;
  if o_parts[3] <> 'DBIRTH' then
    raise exception using errcode = 'U0002',
      message = format('ingest_birth: topic %s is a %s message; only DBIRTH is ingested', o_topic, o_parts[3]);
  end if;
  if cardinality(o_parts) <> 5 or exists (select from unnest(o_parts) as p where p = '' or p ~ '[+#]') then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s) must be spBv1.0/<group>/DBIRTH/<edge>/<device> with non-empty ids free of "+" and "#"', o_topic);
  end if;
  if jsonb_typeof(birth -> 'received_at') is null or jsonb_typeof(birth -> 'received_at') = 'null' then
    o_received_at := now();
  else
    begin
      if jsonb_typeof(birth -> 'received_at') <> 'string' then
        raise exception 'not a string';
      end if;
      o_received_at := (birth ->> 'received_at')::timestamptz;
    exception when others then
      raise exception using errcode = 'U0001',
        message = format('ingest_birth: field "received_at" (%s) must be an ISO-8601 timestamp string', birth -> 'received_at');
    end;
  end if;
  if jsonb_typeof(birth -> 'payload') is distinct from 'object' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "payload" is missing or not an object';
  end if;
  o_metrics := coalesce(birth -> 'payload' -> 'metrics', '[]');
  if jsonb_typeof(o_metrics) <> 'array' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "payload.metrics" must be an array';
  end if;
  if birth ? 'chunk' then
    if jsonb_typeof(birth -> 'chunk') <> 'object'
       or not uns_meta.jsonb_is_integer(birth -> 'chunk' -> 'index', 0, 2147483647)
       or jsonb_typeof(birth -> 'chunk' -> 'last') is distinct from 'boolean' then
      raise exception using errcode = 'U0003',
        message = 'ingest_birth: field "chunk" must be {"index": <0, 1, 2, ...>, "last": <true on the final chunk>}';
    end if;
    o_chunk_index := (birth -> 'chunk' ->> 'index')::integer;
    o_last := (birth -> 'chunk' ->> 'last')::boolean;
  end if;
  if birth ? 'fingerprint' then
    if jsonb_typeof(birth -> 'fingerprint') is distinct from 'string' or birth ->> 'fingerprint' !~ '^[0-9a-f]{64}$' then
      raise exception using errcode = 'U0001',
        message = 'ingest_birth: field "fingerprint" must be 64 lowercase hex digits (the sha-256 of the birth, docs/sql-api.md)';
    end if;
    o_fingerprint := decode(birth ->> 'fingerprint', 'hex');
  end if;
  o_source := format('%s received %s', o_topic, to_char(o_received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
end
$$;
comment on function uns_meta.ingest_birth__read_envelope(jsonb) is
  'ingest_birth step 1: checks the envelope (U0001-U0003) and returns topic, its parts, received_at, payload.metrics, chunk index and last flag, and the source text of the birth.';
revoke all on function uns_meta.ingest_birth__read_envelope(jsonb) from public;
grant execute on function uns_meta.ingest_birth__read_envelope(jsonb) to uns_meta_app;

commit;
