-- Deploy uns_meta:tables/settings to pg
-- requires: functions/tg__timestamps
begin;

create table uns_meta.settings (
  key         text primary key
              constraint chk_settings_key_format check (key ~ '^[a-z][a-z0-9_]*$'),
  value       jsonb not null,
  description text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  updated_by  text not null default current_user
);
comment on table uns_meta.settings is
  'Tunables a DBA edits without a release (UPDATE uns_meta.settings SET value = ... WHERE key = ...). Values are validated on write.';
comment on column uns_meta.settings.key is 'Setting name (snake_case).';
comment on column uns_meta.settings.value is 'Setting value as JSON; its type depends on the key (see description).';
comment on column uns_meta.settings.description is 'What the setting controls, its unit and its default.';
comment on column uns_meta.settings.created_at is 'When the setting was first written (immutable).';
comment on column uns_meta.settings.updated_at is 'When the value last changed.';
comment on column uns_meta.settings.updated_by is 'Database role that last changed the value.';

-- Known keys are validated so a typo cannot stop ingestion later (SQLSTATE U0103 names the key).
create function uns_meta.tg_settings__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  v interval;
begin
  if new.key = 'debounce_interval' then
    begin
      if jsonb_typeof(new.value) <> 'string' then
        raise exception 'not a JSON string';
      end if;
      v := (new.value #>> '{}')::interval;
    exception when others then
      raise exception using
        errcode = 'U0103',
        message = format('setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got %s', new.value),
        constraint = 'chk_settings_value';
    end;
    if v < interval '0' then
      raise exception using
        errcode = 'U0103',
        message = format('setting debounce_interval must not be negative, got %s', new.value),
        constraint = 'chk_settings_value';
    end if;
  end if;
  if tg_op = 'UPDATE' and new.value is distinct from old.value then
    new.updated_by := current_user;
  end if;
  return new;
end
$$;
comment on function uns_meta.tg_settings__validate() is
  'BEFORE INSERT/UPDATE on settings: validates the value of known keys (U0103) and records who changed it.';
revoke all on function uns_meta.tg_settings__validate() from public;

create trigger _100_timestamps before update on uns_meta.settings
  for each row execute function uns_meta.tg__timestamps();
create trigger _200_validate before insert or update on uns_meta.settings
  for each row execute function uns_meta.tg_settings__validate();

insert into uns_meta.settings (key, value, description) values
  ('debounce_interval', '"3 minutes"',
   'Delay between the last birth that changed a device and its Canary sync (PostgreSQL interval as a JSON string). '
   'A burst of births within this window yields one sync of the final state. Default "3 minutes".');

-- Typed reader used by the SQL API.
create function uns_meta.setting_interval(setting_key text) returns interval
  language sql stable parallel safe
  set search_path = pg_catalog
return (select (value #>> '{}')::interval from uns_meta.settings where key = setting_key);
comment on function uns_meta.setting_interval(text) is 'The value of an interval-typed setting, or NULL when the key is absent.';

grant select on uns_meta.settings to uns_meta_app, uns_meta_ro;
revoke all on function uns_meta.setting_interval(text) from public;
grant execute on function uns_meta.setting_interval(text) to uns_meta_app, uns_meta_ro;

commit;
