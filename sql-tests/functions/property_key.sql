-- pgTAP: uns_meta.property_key(text[]), the flat metric_properties.key of a nested property's key path.
begin;
select plan(27);

select has_function('uns_meta', 'property_key', array['text[]'], 'function uns_meta.property_key(text[]) exists');
select function_returns('uns_meta', 'property_key', array['text[]'], 'text', 'property_key(text[]) returns text');
select function_lang_is('uns_meta', 'property_key', array['text[]'], 'sql', 'property_key(text[]) is SQL');
select volatility_is('uns_meta', 'property_key', array['text[]'], 'immutable', 'property_key(text[]) is immutable (used in a CHECK)');
select is_strict('uns_meta', 'property_key', array['text[]'], 'property_key(text[]) is strict');
select isnt_definer('uns_meta', 'property_key', array['text[]'], 'property_key(text[]) is SECURITY INVOKER');
select is((select proparallel from pg_proc where oid = 'uns_meta.property_key(text[])'::regprocedure), 's',
          'property_key(text[]) is parallel safe');
select function_owner_is('uns_meta', 'property_key', array['text[]'], 'uns_meta_admin', 'property_key(text[]) is owned by uns_meta_admin');
select isnt(obj_description('uns_meta.property_key(text[])'::regprocedure, 'pg_proc'), null, 'property_key(text[]) has a comment');
select function_privs_are('uns_meta', 'property_key', array['text[]'], 'uns_meta_app', array['EXECUTE'],
                          'uns_meta_app may execute property_key(text[])');
select function_privs_are('uns_meta', 'property_key', array['text[]'], 'uns_meta_ro', array['EXECUTE'],
                          'uns_meta_ro may execute property_key(text[])');

-- The documented examples.
select is(uns_meta.property_key('{engUnit}'), 'engUnit', 'a top-level key is kept as received');
select is(uns_meta.property_key('{limits,high}'), 'limits/high', 'a PropertySet member: <key>/<member>');
select is(uns_meta.property_key('{alarms,0,setpoint}'), 'alarms/0/setpoint', 'a PropertySetList item member: <key>/<index>/<member>');
select is(uns_meta.property_key(array['cfg', 'a/b']), 'cfg/a~1b', 'a "/" inside a nested segment is escaped as ~1');
select is(uns_meta.property_key(array['cfg', 'a~b']), 'cfg/a~0b', 'a "~" inside a nested segment is escaped as ~0');
select is(uns_meta.property_key(array['cfg', '~1']), 'cfg/~01', '"~" is escaped before "/": a literal "~1" stays distinguishable');
select is(uns_meta.property_key(array['cfg', 'a/b~c/~']), 'cfg/a~1b~0c~1~0', 'mixed escapes in one segment');
select is(uns_meta.property_key(array['a/b~c']), 'a/b~c', 'the top-level key is never escaped (kept exactly as received)');
select is(uns_meta.property_key(array['a/b', 'c']), 'a/b/c', 'the first segment of a nested path is not escaped either');
select is(uns_meta.property_key(array['Outão SERVIÇO', 'Área 1', 'ünït']), 'Outão SERVIÇO/Área 1/ünït',
          'non-ASCII segments pass through unchanged');
select is(uns_meta.property_key(array['p', '']), 'p/', 'an empty nested segment keeps its separator');
select is(uns_meta.property_key(array['a', 'b', 'c', 'd', 'e', 'f']), 'a/b/c/d/e/f', 'deep nesting keeps the order');
select is(uns_meta.property_key(null), null, 'NULL key path -> NULL (strict)');
select is(uns_meta.property_key('{}'), null, 'empty key path -> NULL');

-- The nesting is recoverable: splitting a key on "/" and unescaping (~1 -> /, then ~0 -> ~) gives back the
-- segments after the top-level one.
select is(
  (select count(*)::int
     from (values (array['cfg', 'a/b']), (array['cfg', 'a~b']), (array['cfg', '~1']), (array['cfg', '~01/']),
                  (array['alarms', '0', 'set/point~']), (array['x', '', 'y'])) as p(path)
    where (select array_agg(replace(replace(seg, '~1', '/'), '~0', '~') order by ord)
             from unnest(string_to_array(uns_meta.property_key(path), '/')) with ordinality as s(seg, ord)) is distinct from path),
  0, 'splitting and unescaping each key gives back its key path');

-- Inside a CHECK it must be usable by the application role.
set local role uns_meta_app;
select is(uns_meta.property_key('{limits,low}'), 'limits/low', 'uns_meta_app can call property_key()');
reset role;

select * from finish();
rollback;
