-- Verify uns_meta:tables/settings on pg
begin;
select key, value, description, created_at, updated_at, updated_by from uns_meta.settings where false;
select 1 / count(*) from uns_meta.settings where key = 'debounce_interval';
select uns_meta.setting_interval('debounce_interval');
rollback;
