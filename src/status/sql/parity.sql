-- uns-meta status: metrics per Canary parity status.
select coalesce(jsonb_object_agg(status, n order by status), '{}'::jsonb) as parity
  from (select status, count(*)::int as n from uns_meta.canary_parity group by status) s
