-- Deploy uns_meta:tables/segment_normalisation_rules to pg
-- requires: functions/tg__timestamps
begin;

create table uns_meta.segment_normalisation_rules (
  step        integer primary key,
  action      text not null,
  pattern     text,
  replacement text,
  flags       text not null default 'g',
  enabled     boolean not null default true,
  description text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint chk_segment_normalisation_rules_action check (action in ('unicode_nfc', 'regexp_replace')),
  constraint chk_segment_normalisation_rules_regexp check (
    (action = 'regexp_replace') = (pattern is not null and replacement is not null)),
  constraint chk_segment_normalisation_rules_flags check (flags ~ '^[gimnpqstwx]*$')
);
comment on table uns_meta.segment_normalisation_rules is
  'How each segment of a Sparkplug id or metric name becomes a UNS path segment: enabled steps applied in `step` order. '
  'Editing this table recompiles uns_meta.normalise_segment(); existing paths change only when uns_meta.reapply_path_rules() runs. '
  'Segments that end up empty are dropped.';
comment on column uns_meta.segment_normalisation_rules.step is 'Order of application (ascending).';
comment on column uns_meta.segment_normalisation_rules.action is 'unicode_nfc (Unicode NFC normalisation) or regexp_replace (pattern -> replacement with flags).';
comment on column uns_meta.segment_normalisation_rules.pattern is 'PostgreSQL regular expression (regexp_replace actions only).';
comment on column uns_meta.segment_normalisation_rules.replacement is 'Replacement text; \1 .. \9 refer to groups (regexp_replace actions only).';
comment on column uns_meta.segment_normalisation_rules.flags is 'regexp_replace flags, g = every match.';
comment on column uns_meta.segment_normalisation_rules.enabled is 'Disabled steps are skipped.';
comment on column uns_meta.segment_normalisation_rules.description is 'Why the step exists.';
comment on column uns_meta.segment_normalisation_rules.created_at is 'When the step was added (immutable).';
comment on column uns_meta.segment_normalisation_rules.updated_at is 'When the step last changed.';

create trigger _100_timestamps before update on uns_meta.segment_normalisation_rules
  for each row execute function uns_meta.tg__timestamps();

-- The plant's final normaliser (original-system.md): NFC, collapse whitespace to one space (spaces kept),
-- anything but letters, digits, '.', '_', '-' and space becomes '_', runs of '_' or '-' collapse, leading
-- and trailing '_', '-' and spaces are stripped.
insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, flags, description) values
  (10, 'unicode_nfc', null, null, '', 'Unicode NFC, so composed and decomposed accents (Outão) give one path'),
  (20, 'regexp_replace', '\s+', ' ', 'g', 'Collapse every run of whitespace to one space'),
  (30, 'regexp_replace', '[^[:alnum:]._ -]', '_', 'g', 'Characters other than letters, digits, ".", "_", "-" and space become "_"'),
  (40, 'regexp_replace', '_{2,}', '_', 'g', 'Collapse runs of "_"'),
  (50, 'regexp_replace', '-{2,}', '-', 'g', 'Collapse runs of "-"'),
  (60, 'regexp_replace', '^[ _-]+|[ _-]+$', '', 'g', 'Strip leading and trailing "_", "-" and spaces');

grant select on uns_meta.segment_normalisation_rules to uns_meta_app, uns_meta_ro;

commit;
