-- Revert uns_meta:views/canary_parity from pg
begin;
drop view uns_meta.canary_parity;
commit;
