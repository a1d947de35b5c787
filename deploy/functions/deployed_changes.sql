-- Deploy uns_meta:functions/deployed_changes to pg
-- requires: schemas/uns_meta
begin;

-- `uns-meta status` compares the changes deployed with the checkout's sqitch.plan. The processes run as uns_meta_app
-- (and analysts as uns_meta_ro), which may not read the Sqitch registry: it names who planned and deployed each
-- change (names, e-mail addresses, hosts) and its tables are Sqitch's own, created and upgraded by Sqitch outside
-- this plan (a grant on them would be lost, or silently widened, with a registry upgrade). This function answers
-- only the question status asks -- the project's change names in deploy order, with their tags -- as the registry's
-- owner (SECURITY DEFINER, fixed search_path, STABLE), executable by uns_meta_app and uns_meta_ro.
create function uns_meta.deployed_changes()
  returns table (change text, tags text[])
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass('sqitch.changes') is null then
    raise exception 'no Sqitch registry (schema sqitch) in database %', current_database()
      using errcode = 'undefined_table', hint = 'Deploy with sqitch deploy --verify (docs/deployment.md).';
  end if;
  return query
    select c.change, coalesce((select array_agg(t.tag order by t.committed_at) from sqitch.tags as t
                                where t.change_id = c.change_id), '{}')
      from sqitch.changes as c
     where c.project = 'uns_meta'
     order by c.committed_at, c.change_id;
end
$$;
comment on function uns_meta.deployed_changes() is
  'The Sqitch changes of project uns_meta deployed in this database, in deploy order, with their tags (uns-meta status; for roles that may not read the sqitch registry).';
revoke all on function uns_meta.deployed_changes() from public;
grant execute on function uns_meta.deployed_changes() to uns_meta_app, uns_meta_ro;

commit;
