-- Revert uns_meta:functions/path_rules from pg
begin;
drop function uns_meta.metric_uns_path(text, text);
drop function uns_meta.device_base_path(text, text, text);
drop trigger _900_compile on uns_meta.segment_normalisation_rules;
drop trigger _900_compile on uns_meta.path_rewrite_rules;
drop function uns_meta.tg__compile_path_rules();
drop function uns_meta.normalise_segment(text);
drop function uns_meta.rewrite_path(text);
drop function uns_meta.path_rules_version();
drop function uns_meta.compile_path_rules();
commit;
