-- Deploy uns_meta:schemas/uns_meta to pg
begin;

create schema uns_meta;
comment on schema uns_meta is
  'uns-meta: governed, versioned catalog of Sparkplug B birth metadata (devices, metrics, typed properties, versions, lineage).';

revoke all on schema uns_meta from public;
grant usage on schema uns_meta to uns_meta_app, uns_meta_ro, uns_meta_cdc;

commit;
