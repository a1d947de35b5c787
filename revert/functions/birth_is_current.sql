-- Revert uns_meta:functions/birth_is_current from pg
begin;

drop function uns_meta.birth_is_current(text, bytea);
comment on column uns_meta.birth_fingerprints.fingerprint is 'md5 of payload.metrics of the last birth applied in full, as canonical jsonb text.';

commit;
