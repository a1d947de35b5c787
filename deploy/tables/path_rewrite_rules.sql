-- Deploy uns_meta:tables/path_rewrite_rules to pg
-- requires: functions/tg__timestamps
begin;

create table uns_meta.path_rewrite_rules (
  rule_id     integer generated always as identity primary key,
  pattern     text not null,
  replacement text not null,
  flags       text not null default '',
  enabled     boolean not null default true,
  description text not null,
  created_by  text not null default current_user,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint chk_path_rewrite_rules_flags check (flags ~ '^[gimnpqstwx]*$')
);
comment on table uns_meta.path_rewrite_rules is
  'DBA rewrites of whole UNS paths after normalisation, applied in rule_id order to device and metric paths at ingest '
  '(e.g. pattern ''^(Secil/Portugal/Cement)/Outão(/|$)'' replacement ''\1/Outao\2'' for a renamed plant). '
  'Editing this table recompiles uns_meta.rewrite_path(); run uns_meta.reapply_path_rules() to apply it to existing rows now.';
comment on column uns_meta.path_rewrite_rules.rule_id is 'Order of application (ascending).';
comment on column uns_meta.path_rewrite_rules.pattern is 'PostgreSQL regular expression matched against the whole "/"-separated UNS path.';
comment on column uns_meta.path_rewrite_rules.replacement is 'Replacement text; \1 .. \9 refer to groups.';
comment on column uns_meta.path_rewrite_rules.flags is 'regexp_replace flags ('''' = first match only, g = every match).';
comment on column uns_meta.path_rewrite_rules.enabled is 'Disabled rules are skipped.';
comment on column uns_meta.path_rewrite_rules.description is 'Why the rule exists (ticket, rename, ...).';
comment on column uns_meta.path_rewrite_rules.created_by is 'Role that added the rule.';
comment on column uns_meta.path_rewrite_rules.created_at is 'When the rule was added (immutable).';
comment on column uns_meta.path_rewrite_rules.updated_at is 'When the rule last changed.';

create trigger _100_timestamps before update on uns_meta.path_rewrite_rules
  for each row execute function uns_meta.tg__timestamps();

grant select on uns_meta.path_rewrite_rules to uns_meta_app, uns_meta_ro;

commit;
