-- Verify uns_meta:tables/canary_sync_state_written_version on pg
begin;
select written_version from uns_meta.canary_sync_state where false;
do $$ begin
  assert not exists (select from pg_attribute where attrelid = 'uns_meta.canary_sync_state'::regclass
                                                and attname = 'confirmed_properties' and not attisdropped),
    'canary_sync_state.confirmed_properties must be gone (written_version names what Canary holds)';
  assert exists (select from pg_constraint where conrelid = 'uns_meta.canary_sync_state'::regclass
                                             and conname = 'chk_canary_sync_state_written_version'),
    'the written_version range check must exist';
end $$;
rollback;
