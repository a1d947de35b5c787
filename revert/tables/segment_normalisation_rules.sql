-- Revert uns_meta:tables/segment_normalisation_rules from pg
begin;
drop table uns_meta.segment_normalisation_rules;
commit;
