-- Prose for every table and view column users see: \d+ in psql and the GraphQL
-- documentation both come from here. The views themselves (and their own comments, with PostGraphile smart tags) are in
-- functions/012_storage_views.sql; the tables behind them live in migrations/.

comment on schema ledger is 'buildledger API: build issues per changelist, their identity, presence intervals and metrics.';
comment on schema ledger_private is 'buildledger internals: helpers and bookkeeping that are not part of the API.';

comment on column ledger.timeline.latest_cl is 'Highest changelist staged on this timeline.';
comment on column ledger.timeline.latest_processed_cl is 'Highest changelist whose snapshot has been processed (the processing watermark).';
comment on column ledger.timeline.last_processed_at is 'When a snapshot of this timeline was last processed.';
comment on column ledger.timeline.last_received_at is 'When a report for this timeline was last staged.';
comment on column ledger.path_node.depth is 'Number of segments: 1 for a server, up to 32.';
comment on column ledger.snapshot.covered_paths is 'Path prefixes the build vouches for; NULL means every path, an empty array means none.';
comment on column ledger.snapshot.build_status is 'complete, partial or failed: recorded and shown; what a snapshot claims is decided by covered_paths alone.';
comment on column ledger.snapshot.state is 'queued (staged, waiting for its job), processing, done, or failed (error says why).';
comment on column ledger.snapshot.received_seq is 'Receive order: of several snapshots at one CL covering a path, the highest counts.';
comment on column ledger.snapshot.applied_seq is 'The received_seq the derived tables reflect; NULL until first processed.';
comment on column ledger.snapshot.extra is 'Top-level report fields buildledger does not know, kept verbatim.';
comment on column ledger.snapshot.content_hash is 'SHA-256 of the report as received (canonical JSON); the default build id derives from it.';
comment on column ledger.issue_instance.hash is 'sha256(''v1'' || 0x1f || normalised message || 0x1f || normalised path), 32 bytes.';
comment on column ledger.issue_instance.message is 'Normalised message (normaliser v1).';
comment on column ledger.issue_instance.example_message is 'The message as first reported, before normalisation.';
comment on column ledger.issue_instance.severity is 'Severity when the issue was first seen: error, warning or info.';
comment on column ledger.issue_presence_interval.start_cl is 'First CL of the run.';
comment on column ledger.issue_presence_interval.last_seen_cl is 'Last CL of the run.';
comment on column ledger.issue_presence_interval.resolved_cl is 'The relevant CL right after the run, or NULL while the issue is still open.';
comment on column ledger.issue_presence_interval.presence is 'int8range [start_cl, resolved_cl): the CLs at which the issue counts as open.';
