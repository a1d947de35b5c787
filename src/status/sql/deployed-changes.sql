-- uns-meta status: the changes of the project deployed, in deploy order, through uns_meta.deployed_changes()
-- (functions/deployed_changes: any role of ours may call it; the Sqitch registry itself stays the admin's).
select c.change from uns_meta.deployed_changes() with ordinality as c(change, tags, n) order by c.n
