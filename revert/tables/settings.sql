-- Revert uns_meta:tables/settings from pg
begin;
drop function uns_meta.setting_interval(text);
drop table uns_meta.settings;
drop function uns_meta.tg_settings__validate();
commit;
