-- uns-meta status: the changes of the project deployed, in deploy order, read from the Sqitch registry (uns_meta_admin)
-- in a database deployed before functions/deployed_changes.
select change from sqitch.changes where project = 'uns_meta' order by committed_at, change_id
