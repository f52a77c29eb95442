-- ledger.v_team: the teams of each project (third path segment), for filters.

drop view if exists ledger.v_team;
create view ledger.v_team as
select distinct split_part(n.path, '/', 2) collate "default" as project, n.name collate "default" as team
  from ledger.path_node n
 where n.depth = 3;
comment on view ledger.v_team is
  'Teams per project: the third segment of server/project/team/... paths. Feeds team filters (Grafana variable, GraphQL).';
