--! Previous: sha1:6bb6f0db5f3451b18e386ee75023e41a393edbc0
--! Hash: sha1:3e40bcf95a78b7fd73ff2eac38508fc50946ee86
--! Message: source-roots

-- Source roots per project: build roots (agent workspaces, checkout folders) that the
-- log and SARIF converters strip from absolute file paths, besides the roots a report
-- names itself and the CI workspace shapes they recognise.
create table if not exists ledger_private.source_root (
  project    text collate "C" not null,
  root       text not null check (length(root) between 1 and 1024),
  created_at timestamptz not null default now(),
  primary key (project, root)
);
