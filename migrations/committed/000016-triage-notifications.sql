--! Previous: sha1:db950cf6b86efd46df630ba2f0b69f782ed65a86
--! Hash: sha1:6a3eae50f359cd37bacd30b25506485b1274cd3a
--! Message: triage-notifications

-- Triage and notifications (issue 12, parts 4 and 5). Only new tables in
-- ledger_private, and one optional column on the ingest token; no foreign keys to the
-- ledger's own tables (they are becoming views on main): functions validate instead.

-- Triage: an append-only log of what people did with an issue on one timeline. The
-- current state (acknowledged, assignee, suppression, notes, marked fixed) is derived
-- from it (sql/340_triage.sql); rows are never updated or deleted.
create table if not exists ledger_private.triage_event (
  event_id    bigint generated always as identity primary key,
  project     text collate "C" not null,
  stream      text collate "C" not null,
  issue_id    bigint not null,
  action      text not null check (action in ('acknowledge', 'unacknowledge', 'assign', 'unassign',
                                              'suppress', 'unsuppress', 'note', 'mark_fixed', 'unmark_fixed')),
  actor       text not null check (length(actor) between 1 and 200),
  at          timestamptz not null default now(),
  assignee    text check (length(assignee) between 1 and 200),
  reason      text check (length(reason) <= 2000),
  until_cl    bigint check (until_cl > 0),
  until_at    timestamptz,
  note        text check (length(note) between 1 and 10000),
  fixed_cl    bigint check (fixed_cl > 0),
  client_id   text check (length(client_id) between 1 and 200),
  unique (project, stream, client_id)
);
create index if not exists triage_event_issue_idx on ledger_private.triage_event (project, stream, issue_id, event_id);

-- A token may carry the name of the person using it (triage writes need one).
alter table ledger_private.ingest_token add column if not exists user_name text
  check (user_name ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$');

-- Notifications: subscriptions, an outbox of messages (one per subscription and
-- processed snapshot content), the events each message carried (so no event is
-- notified twice to a subscription, even when a snapshot is re-processed), and a log
-- of delivery attempts.
create table if not exists ledger_private.subscription (
  subscription_id bigint generated always as identity primary key,
  project     text collate "C" not null,
  name        text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
  stream      text collate "C",                     -- NULL: every stream
  team        text,
  path_prefix text,
  severities  text[] not null default '{error,warning,info}',
  kinds       text[] not null default '{new,regression}',
  url         text not null check (url ~* '^https?://'),
  secret      text not null check (length(secret) >= 16),
  format      text not null default 'json' check (format in ('json', 'slack')),
  active      boolean not null default true,
  created_by  text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  unique (project, name)
);

create table if not exists ledger_private.notification_outbox (
  outbox_id       bigint generated always as identity primary key,
  subscription_id bigint not null references ledger_private.subscription on delete cascade,
  snapshot_id     bigint not null,
  content_version integer not null,
  project         text collate "C" not null,
  stream          text collate "C" not null,
  cl              bigint not null,
  idempotency_key text not null unique,
  body            text not null,                    -- the exact bytes sent (and signed) on every attempt
  event_count     integer not null,
  state           text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  attempts        integer not null default 0,
  last_status     integer,
  last_error      text,
  created_at      timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  unique (subscription_id, snapshot_id, content_version)
);
create index if not exists notification_outbox_state_idx on ledger_private.notification_outbox (state) where state <> 'delivered';

create table if not exists ledger_private.notification_event (
  subscription_id bigint not null references ledger_private.subscription on delete cascade,
  project   text collate "C" not null,
  stream    text collate "C" not null,
  cl        bigint not null,
  issue_id  bigint not null,
  kind      text not null check (kind in ('new', 'regression', 'resolved', 'suspect')),
  outbox_id bigint not null references ledger_private.notification_outbox on delete cascade,
  primary key (subscription_id, project, stream, cl, issue_id, kind)
);
create index if not exists notification_event_outbox_idx on ledger_private.notification_event (outbox_id);

create table if not exists ledger_private.notification_attempt (
  outbox_id  bigint not null references ledger_private.notification_outbox on delete cascade,
  attempt    integer not null,
  at         timestamptz not null default now(),
  status     integer,
  error      text,
  primary key (outbox_id, attempt)
);
