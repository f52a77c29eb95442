--! Previous: sha1:3e40bcf95a78b7fd73ff2eac38508fc50946ee86
--! Hash: sha1:00be76d07e8688bc9ddcbe8ff1d5ed7ce22abb60
--! Message: changelist-files-owner-rules

-- Changelists as first-class data (issue 12): the files a CL touched (from a version
-- control feed, POST /v1/changelists), and ownership rules mapping path patterns to a
-- team and people.
create table if not exists ledger_private.changelist_file (
  project text collate "C" not null,
  stream  text collate "C" not null,
  cl      bigint not null,
  path    text collate "C" not null,
  primary key (project, stream, cl, path),
  foreign key (project, stream, cl) references ledger.changelist on delete cascade
);
create index if not exists changelist_file_path_idx on ledger_private.changelist_file (project, stream, path);

create table if not exists ledger_private.owner_rule (
  rule_id    bigint generated always as identity primary key,
  project    text collate "C" not null references ledger.project on delete cascade,
  pattern    text not null check (length(pattern) between 1 and 1024),
  team       text check (length(team) between 1 and 200),
  people     text[] not null default '{}',
  created_at timestamptz not null default now(),
  unique (project, pattern)
);
