-- Per-timeline watermarks and backlog, for operators, /metrics and Grafana.

drop view if exists ledger.v_timeline_status;
create view ledger.v_timeline_status as
select t.project collate "default" as project,
       t.stream collate "default" as stream,
       t.latest_cl,
       t.latest_processed_cl,
       t.last_received_at,
       t.last_processed_at,
       count(s.*) filter (where s.state = 'queued')     as queued,
       count(s.*) filter (where s.state = 'processing') as processing,
       count(s.*) filter (where s.state = 'failed')     as failed,
       count(s.*) filter (where s.state = 'done')       as done,
       coalesce(extract(epoch from now() - min(s.received_at) filter (where s.state in ('queued', 'processing'))), 0)::float8
         as lag_seconds
  from ledger.timeline t
  left join ledger.snapshot s on s.project = t.project and s.stream = t.stream
 group by t.project, t.stream, t.latest_cl, t.latest_processed_cl, t.last_received_at, t.last_processed_at;
comment on view ledger.v_timeline_status is
  'One row per timeline: latest received and processed CL, when the last report arrived and the last processing succeeded, snapshots per state, and the lag (age in seconds of the oldest snapshot still waiting; 0 when caught up).';
