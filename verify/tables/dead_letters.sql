-- Verify uns_meta:tables/dead_letters on pg
begin;
select dead_letter_id, topic, received_at, payload, payload_size, reason, sqlstate, dead_lettered_at
  from uns_meta.dead_letters where false;
rollback;
