-- Deploy uns_meta:tables/canary_property_names to pg
-- requires: functions/tg__timestamps
begin;

create table uns_meta.canary_property_names (
  property_key text primary key,
  canary_name  text not null,
  precedence   integer not null default 100,
  description  text not null default '',
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint chk_canary_property_names_key check (property_key <> ''),
  constraint chk_canary_property_names_name check (canary_name <> '')
);
comment on table uns_meta.canary_property_names is
  'DBA-editable map from Sparkplug property keys to Canary property names, read by the worker at each sync. Keys not listed keep their own name.';
comment on column uns_meta.canary_property_names.property_key is 'Sparkplug property key exactly as stored in metric_properties.key (case-sensitive; nested keys are flat, e.g. limits/high).';
comment on column uns_meta.canary_property_names.canary_name is 'Canary property name written for that key, e.g. "Eng Units".';
comment on column uns_meta.canary_property_names.precedence is
  'When several keys of one metric map to the same Canary name, the key with the lowest precedence wins (ties: the key that sorts first).';
comment on column uns_meta.canary_property_names.description is 'Why the mapping exists (free text for DBAs).';
comment on column uns_meta.canary_property_names.created_at is 'When the mapping was created (immutable).';
comment on column uns_meta.canary_property_names.updated_at is 'When the mapping last changed.';

create trigger _100_timestamps before update on uns_meta.canary_property_names
  for each row execute function uns_meta.tg__timestamps();

insert into uns_meta.canary_property_names (property_key, canary_name, precedence, description) values
  ('engUnit', 'Eng Units', 100, 'Canary standard property'),
  ('engHigh', 'Default High Scale', 100, 'Canary standard property'),
  ('engLow', 'Default Low Scale', 100, 'Canary standard property'),
  ('documentation', 'Description', 100, 'Canary standard property; wins over description'),
  ('description', 'Description', 200, 'Canary standard property; used when documentation is absent');

grant select on uns_meta.canary_property_names to uns_meta_app, uns_meta_ro;

commit;
