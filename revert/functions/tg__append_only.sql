-- Revert uns_meta:functions/tg__append_only from pg
begin;
drop function uns_meta.tg__append_only();
commit;
