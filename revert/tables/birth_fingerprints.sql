-- Revert uns_meta:tables/birth_fingerprints from pg
begin;
drop trigger _900_forget_birth_fingerprints on uns_meta.metric_properties;
drop trigger _900_forget_birth_fingerprints on uns_meta.metrics;
drop function uns_meta.tg__forget_birth_fingerprints();
drop table uns_meta.birth_fingerprints;
commit;
