insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason, sqlstate)
values ($1, $2, $3, $4, $5, $6)
returning dead_letter_id
