-- Verify uns_meta:triggers/statement_foreign_keys on pg
begin;
do $$ begin
  assert (select count(*) from pg_trigger
           where not tgisinternal and tgname like '\_200\_%' and tgfoid in ('uns_meta.tg__fk_check'::regproc,
                 'uns_meta.tg__fk_cascade_delete'::regproc, 'uns_meta.tg__fk_no_action_update'::regproc)
             -- those of triggers/canary_sync_state_reference, a later change, are not this change's
             and tgrelid <> 'uns_meta.canary_sync_state'::regclass and tgname not like '%sync\_state') = 9,
    'the nine _200_ reference triggers of metrics, devices and metric_versions must exist';
  assert not exists (select from pg_constraint where contype = 'f'
                      and conrelid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_versions'::regclass)
                      and confrelid in ('uns_meta.devices'::regclass, 'uns_meta.metrics'::regclass)),
    'metrics -> devices and metric_versions -> metrics must not be FOREIGN KEYs any more (the triggers check them)';
end $$;
rollback;
