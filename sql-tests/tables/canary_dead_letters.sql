-- pgTAP: uns_meta.canary_dead_letters, undelivered changes waiting for `uns-meta canary replay`.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(11);

select has_table('uns_meta', 'canary_dead_letters', 'table uns_meta.canary_dead_letters exists');
select columns_are('uns_meta', 'canary_dead_letters',
                   array['dead_letter_id', 'metric_id', 'version', 'canary_tag', 'properties', 'error', 'attempts', 'created_at', 'resolved_at'],
                   'it has exactly its columns');
select col_is_pk('uns_meta', 'canary_dead_letters', 'dead_letter_id', 'the key is dead_letter_id');
select fk_ok('uns_meta', 'canary_dead_letters', 'metric_id', 'uns_meta', 'metrics', 'metric_id', 'metric_id references metrics');
select has_index('uns_meta', 'canary_dead_letters', 'ix_canary_dead_letters_open', 'open dead letters are indexed by metric');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.canary_dead_letters'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');
select table_privs_are('uns_meta', 'canary_dead_letters', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app inserts and reads (and may set resolved_at only)');
select column_privs_are('uns_meta', 'canary_dead_letters', 'resolved_at', 'uns_meta_app', array['INSERT', 'SELECT', 'UPDATE'], 'uns_meta_app may update resolved_at');
select column_privs_are('uns_meta', 'canary_dead_letters', 'error', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app cannot rewrite the error');
select table_privs_are('uns_meta', 'canary_dead_letters', 'uns_meta_ro', array['SELECT'], 'analysts read it');
select throws_ok($$insert into uns_meta.canary_dead_letters (metric_id, version, canary_tag, properties, error)
                   values (1, 1, 't', '"x"', 'e')$$, '23514', null, 'properties must be a JSON object');

select * from finish();
rollback;
