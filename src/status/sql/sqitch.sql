-- uns-meta status: the changes of the project deployed, in deploy order (the Sqitch registry; uns_meta_admin).
select change from sqitch.changes where project = 'uns_meta' order by committed_at, change_id
