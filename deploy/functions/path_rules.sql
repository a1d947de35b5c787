-- Deploy uns_meta:functions/path_rules to pg
-- requires: tables/segment_normalisation_rules tables/path_rewrite_rules
begin;

-- The rule tables are compiled into two plain SQL functions, so that normalising hundreds of thousands of
-- segments in one birth is a set-based expression, not a loop over rules:
--   uns_meta.normalise_segment(seg)  the enabled segment_normalisation_rules, in step order;
--   uns_meta.rewrite_path(path)      the enabled path_rewrite_rules, in rule_id order.
-- A statement trigger on each rule table recompiles them, and rejects a rule whose regular expression
-- does not compile (SQLSTATE U0103, naming the rule), so a typo cannot stop ingestion.
create function uns_meta.compile_path_rules() returns void
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  seg_expr text := 'seg';
  path_expr text := 'path';
  r record;
begin
  for r in select * from uns_meta.segment_normalisation_rules where enabled order by step loop
    if r.action = 'unicode_nfc' then
      seg_expr := format('normalize(%s, NFC)', seg_expr);
    else
      begin
        perform regexp_replace('', r.pattern, r.replacement, r.flags);
      exception when others then
        raise exception using errcode = 'U0103', constraint = 'chk_segment_normalisation_rules_regexp',
          message = format('segment_normalisation_rules step %s: %s', r.step, sqlerrm);
      end;
      seg_expr := format('regexp_replace(%s, %L, %L, %L)', seg_expr, r.pattern, r.replacement, r.flags);
    end if;
  end loop;
  for r in select * from uns_meta.path_rewrite_rules where enabled order by rule_id loop
    begin
      perform regexp_replace('', r.pattern, r.replacement, r.flags);
    exception when others then
      raise exception using errcode = 'U0103', constraint = 'chk_path_rewrite_rules_regexp',
        message = format('path_rewrite_rules rule %s: %s', r.rule_id, sqlerrm);
    end;
    path_expr := format('regexp_replace(%s, %L, %L, %L)', path_expr, r.pattern, r.replacement, r.flags);
  end loop;
  execute format('create or replace function uns_meta.normalise_segment(seg text) returns text '
                 'language sql stable strict parallel safe as %L', 'select ' || seg_expr);
  execute format('create or replace function uns_meta.rewrite_path(path text) returns text '
                 'language sql stable strict parallel safe as %L', 'select ' || path_expr);
  execute format('create or replace function uns_meta.path_rules_version() returns text '
                 'language sql immutable parallel safe as %L', format('select %L::text', md5(seg_expr || E'\n' || path_expr)));
end
$$;
comment on function uns_meta.compile_path_rules() is
  'Regenerates uns_meta.normalise_segment() and uns_meta.rewrite_path() from the enabled rules. Called by the rule tables'' triggers.';
revoke all on function uns_meta.compile_path_rules() from public;

select uns_meta.compile_path_rules();
comment on function uns_meta.normalise_segment(text) is
  'One UNS path segment from a Sparkplug id or metric-name segment, by the enabled segment_normalisation_rules (generated; do not edit).';
comment on function uns_meta.rewrite_path(text) is
  'A UNS path after the enabled path_rewrite_rules (generated; do not edit).';
comment on function uns_meta.path_rules_version() is
  'Fingerprint of the enabled path rules (md5 of the generated expressions): equal fingerprints give equal paths (generated; do not edit).';
revoke all on function uns_meta.normalise_segment(text), uns_meta.rewrite_path(text), uns_meta.path_rules_version() from public;
grant execute on function uns_meta.normalise_segment(text), uns_meta.rewrite_path(text), uns_meta.path_rules_version()
  to uns_meta_app, uns_meta_ro;

create function uns_meta.tg__compile_path_rules() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  perform uns_meta.compile_path_rules();
  return null;
end
$$;
comment on function uns_meta.tg__compile_path_rules() is 'AFTER statement trigger of the path rule tables: recompiles the path functions.';
revoke all on function uns_meta.tg__compile_path_rules() from public;

create trigger _900_compile after insert or update or delete or truncate on uns_meta.segment_normalisation_rules
  for each statement execute function uns_meta.tg__compile_path_rules();
create trigger _900_compile after insert or update or delete or truncate on uns_meta.path_rewrite_rules
  for each statement execute function uns_meta.tg__compile_path_rules();

-- Composition of a path (the single definition; ingest_birth applies the same composition set-based):
--   device: rewrite_path(<n(group)>/<n(edge)>/<n(device)>)        n = normalise_segment
--   metric: rewrite_path(<n(group)>/<n(edge)>/<n(device)>/<n(s1)>/<n(s2)>/...), si = name split on '/'
-- Segments that normalise to '' are dropped from metric names; a Sparkplug id that does, makes the device
-- path NULL (the caller reports it). Rewrites see the normalised path, never an already rewritten one.
create function uns_meta.device_base_path(group_id text, edge text, device text) returns text
  language sql stable parallel safe
  set search_path = pg_catalog
return (select case when g <> '' and e <> '' and d <> '' then g || '/' || e || '/' || d end
          from (select uns_meta.normalise_segment(group_id) as g, uns_meta.normalise_segment(edge) as e,
                       uns_meta.normalise_segment(device) as d) as n);
comment on function uns_meta.device_base_path(text, text, text) is
  'Normalised <group>/<edge>/<device> before path rewrites; NULL when an id normalises to nothing.';

create function uns_meta.metric_uns_path(device_base_path text, name text) returns text
  language sql stable parallel safe
  set search_path = pg_catalog
return (select uns_meta.rewrite_path(device_base_path || '/' || string_agg(n, '/' order by i))
          from unnest(string_to_array(name, '/')) with ordinality as u(s, i)
          cross join lateral (select uns_meta.normalise_segment(u.s)) as x(n)
         where n <> '');
comment on function uns_meta.metric_uns_path(text, text) is
  'UNS path of a metric from its device''s base path (uns_meta.device_base_path) and its Sparkplug name; NULL when the name normalises to nothing.';

revoke all on function uns_meta.device_base_path(text, text, text), uns_meta.metric_uns_path(text, text) from public;
grant execute on function uns_meta.device_base_path(text, text, text), uns_meta.metric_uns_path(text, text)
  to uns_meta_app, uns_meta_ro;

commit;
