-- uns-meta status: the database and what is deployed in it (never fails on an undeployed database).
select current_database() as name,
       current_user as role,
       current_setting('server_version') as server_version,
       to_regnamespace('uns_meta') is not null as uns_meta_schema,
       to_regnamespace('graphile_worker') is not null as graphile_worker_schema,
       to_regnamespace('sqitch') is not null as sqitch_registry,
       to_regprocedure('uns_meta.deployed_changes()') is not null as deployed_changes_function
