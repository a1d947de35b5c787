-- Verify uns_meta:triggers/canary_sync_state_reference on pg
begin;
do $$ begin
  assert (select count(*) from pg_trigger
           where not tgisinternal and (tgrelid, tgname) in (('uns_meta.canary_sync_state'::regclass, '_200_sync_state_metric_exists_insert'),
                 ('uns_meta.canary_sync_state'::regclass, '_200_sync_state_metric_exists_update'), ('uns_meta.metrics'::regclass, '_200_delete_sync_state'),
                 ('uns_meta.metrics'::regclass, '_200_truncate_sync_state'))) = 4,
    'the four _200_ reference triggers of canary_sync_state and metrics must exist';
  assert not exists (select from pg_constraint where contype = 'f' and conrelid = 'uns_meta.canary_sync_state'::regclass),
    'canary_sync_state -> metrics must not be a FOREIGN KEY any more (the triggers check it)';
end $$;
rollback;
