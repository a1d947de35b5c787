-- Verify uns_meta:triggers/notify_catalog_changes on pg
begin;
do $$ begin
  assert (select count(*) from pg_trigger
           where tgname like '\_900\_notify\_watch%' and not tgisinternal
             and tgrelid in ('uns_meta.metric_versions'::regclass, 'uns_meta.canary_sync_state'::regclass)) = 4,
    'the four _900_notify_watch* statement triggers must exist';
end $$;
rollback;
