-- pgTAP: schema uns_meta exists and is closed to PUBLIC.
begin;
select plan(5);

select has_schema('uns_meta');
select schema_owner_is('uns_meta', 'uns_meta_admin');
select schema_privs_are('uns_meta', 'public', array[]::text[], 'PUBLIC has no privilege on schema uns_meta');
select schema_privs_are('uns_meta', 'uns_meta_app', array['USAGE'], 'uns_meta_app may use schema uns_meta but not create in it');
select schema_privs_are('uns_meta', 'uns_meta_ro', array['USAGE'], 'uns_meta_ro may use schema uns_meta');

select * from finish();
rollback;
