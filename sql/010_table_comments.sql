-- Prose for every table and view column users see: \d+ in psql and the GraphQL
-- documentation both come from here. Tables themselves live in migrations/.

comment on schema ledger is 'buildledger API: build issues per changelist, their identity, presence intervals and metrics.';
comment on schema ledger_private is 'buildledger internals: helpers and bookkeeping that are not part of the API.';

comment on table ledger.project is 'A game or product; every other row belongs to one. Created on the first report that names it.';
comment on table ledger.timeline is 'One (project, stream): the unit of ordering. Presence, intervals and metrics are per timeline. Also holds the ingestion watermarks.';
comment on column ledger.timeline.latest_cl is 'Highest changelist staged on this timeline.';
comment on column ledger.timeline.latest_processed_cl is 'Highest changelist whose snapshot has been processed (the processing watermark).';
comment on column ledger.timeline.last_processed_at is 'When a snapshot of this timeline was last processed.';
comment on column ledger.timeline.last_received_at is 'When a report for this timeline was last staged.';
comment on table ledger.path_node is 'One row per path in the hierarchy server/project/team/.../asset; every prefix of a reported path is a node.';
comment on column ledger.path_node.depth is 'Number of segments: 1 for a server, up to 32.';
comment on table ledger.path_closure is 'Every ancestor-or-self / descendant pair of path nodes with its distance: hierarchy roll-ups are one equi-join, no recursion.';
comment on table ledger.changelist is 'A changelist of a timeline that has at least one build report, with its optional metadata.';
comment on table ledger.snapshot is 'One ingested build report: (timeline, CL, build id). Re-ingesting the same triple replaces its content and makes it the most recently received one.';
comment on column ledger.snapshot.covered_paths is 'Path prefixes the build vouches for; NULL means every path, an empty array means none.';
comment on column ledger.snapshot.build_status is 'complete, partial or failed: recorded and shown; what a snapshot claims is decided by covered_paths alone.';
comment on column ledger.snapshot.state is 'queued (staged, waiting for its job), processing, done, or failed (error says why).';
comment on column ledger.snapshot.received_seq is 'Receive order: of several snapshots at one CL covering a path, the highest counts.';
comment on column ledger.snapshot.applied_seq is 'The received_seq the derived tables reflect; NULL until first processed.';
comment on column ledger.snapshot.extra is 'Top-level report fields buildledger does not know, kept verbatim.';
comment on column ledger.snapshot.content_hash is 'SHA-256 of the report as received (canonical JSON); the default build id derives from it.';
comment on table ledger.issues_raw is 'Staging: the validated raw issues of a staged report, removed once the snapshot is processed.';
comment on table ledger.issue_instance is 'Issue identity: one row per SHA-256 of (normaliser version, normalised message, normalised path). Same hash = same issue in any CL.';
comment on column ledger.issue_instance.hash is 'sha256(''v1'' || 0x1f || normalised message || 0x1f || normalised path), 32 bytes.';
comment on column ledger.issue_instance.message is 'Normalised message (normaliser v1).';
comment on column ledger.issue_instance.example_message is 'The message as first reported, before normalisation.';
comment on column ledger.issue_instance.severity is 'Severity when the issue was first seen: error, warning or info.';
comment on table ledger.issue_observation is 'Fact table: issue X was reported in snapshot S, with its number of occurrences.';
comment on table ledger.issue_presence_interval is 'Derived: maximal runs of consecutive relevant CLs in which an issue is present (SPEC section 3). resolved_cl NULL = still open.';
comment on column ledger.issue_presence_interval.start_cl is 'First CL of the run.';
comment on column ledger.issue_presence_interval.last_seen_cl is 'Last CL of the run.';
comment on column ledger.issue_presence_interval.resolved_cl is 'The relevant CL right after the run, or NULL while the issue is still open.';
comment on column ledger.issue_presence_interval.presence is 'int8range [start_cl, resolved_cl): the CLs at which the issue counts as open.';
comment on table ledger.changelist_metrics is 'Per timeline and CL with a snapshot: issues open (total), intervals starting (new) and ending (resolved) there. Maintained incrementally.';
