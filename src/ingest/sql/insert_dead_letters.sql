-- A batch of dead letters in one statement (the arrays are parallel: one element per message).
insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason, sqlstate)
select * from unnest($1::text[], $2::timestamptz[], $3::bytea[], $4::bigint[], $5::text[], $6::text[])
