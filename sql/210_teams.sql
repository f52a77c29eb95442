-- ledger.v_team: the teams of each project (third path segment), for filters.

drop view if exists ledger.v_team;
-- (down the hierarchy by the parent index: servers, their project nodes, their team
-- nodes; a filter on project applies at the second step. Selecting the depth-3 nodes
-- of path_node read the whole hierarchy, 770k nodes at 1,000 CLs.)
create view ledger.v_team as
select distinct p.name collate "default" as project, t.name collate "default" as team
  from ledger_private.path_node s
  join ledger_private.path_node p on p.parent_id = s.path_node_id
  join ledger_private.path_node t on t.parent_id = p.path_node_id
 where s.parent_id is null;
comment on view ledger.v_team is
  'Teams per project: the third segment of server/project/team/... paths. Feeds team filters (Grafana variable, GraphQL).';
