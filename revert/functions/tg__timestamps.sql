-- Revert uns_meta:functions/tg__timestamps from pg
begin;
drop function uns_meta.tg__timestamps();
commit;
