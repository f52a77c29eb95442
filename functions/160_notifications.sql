-- Notifications (issue 12, part 5): subscriptions, the events of a processed snapshot,
-- the outbox and its delivery bookkeeping. Tables: ledger_private.subscription,
-- notification_outbox, notification_event, notification_attempt (migration 000016).
--
-- Flow: the worker's process_snapshot task, after ledger.process_snapshot committed,
-- calls ledger_private.enqueue_notify (a notify_snapshot job on the timeline's queue,
-- one job key per snapshot content version). notify_snapshot computes the snapshot's
-- events from the intervals at its CL and writes, per matching subscription, ONE
-- outbox row (unique per subscription, snapshot and content version) holding the exact
-- body to send, the events it carries (unique per subscription, timeline, CL, issue
-- and kind: an event is never in two messages of a subscription, even when the
-- snapshot is re-processed), and a deliver_notification job, all in one transaction.
-- The delivery job POSTs the stored body with an Idempotency-Key header and an
-- HMAC-SHA256 signature; 2xx marks the row delivered, anything else is logged and
-- retried by graphile-worker with exponential backoff. A crash after the receiver's
-- 2xx but before the commit re-sends the same bytes with the same key: delivery is at
-- least once, and exactly once for a receiver that ignores a key it has seen.

create or replace function ledger_private.random_secret()
returns text
language sql volatile
set search_path to pg_catalog, pg_temp
as $$
  -- two v4 UUIDs: 244 bits from the server's cryptographic random source, no pgcrypto needed
  select 'whsec_' || replace(pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, '-', '')
$$;
comment on function ledger_private.random_secret() is 'A new random webhook signing secret (whsec_ and 64 hex digits).';

create or replace function ledger.set_subscription(project text, subscription jsonb, actor text default null)
returns jsonb
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  s jsonb := subscription;
  v_ok_keys text[] := array['name', 'stream', 'team', 'path_prefix', 'severities', 'kinds', 'url', 'secret', 'format', 'active'];
  v_secret text;
  v_generated boolean := false;
  v_row ledger_private.subscription;
begin
  /* Creates or replaces (by name) a project's subscription {name, stream?, team?,
     path_prefix?, severities?: [error|warning|info], kinds?: [new|regression|resolved|
     suspect], url (http or https), secret? (generated when missing: returned once),
     format?: json|slack, active?}. Validated whole: 22023 naming the field. */
  if not exists (select 1 from ledger.project p where p.project = set_subscription.project) then
    raise exception 'project: unknown project "%"', set_subscription.project using errcode = '22023';
  end if;
  if s is null or jsonb_typeof(s) <> 'object' then
    raise exception 'subscription: expected an object {name, url, ...}' using errcode = '22023';
  end if;
  if exists (select 1 from jsonb_object_keys(s) k where k <> all (v_ok_keys)) then
    raise exception 'subscription: unknown field "%" (expected %)',
      (select k from jsonb_object_keys(s) k where k <> all (v_ok_keys) limit 1), array_to_string(v_ok_keys, ', ') using errcode = '22023';
  end if;
  if jsonb_typeof(s->'name') is distinct from 'string' or (s->>'name') !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' then
    raise exception 'name: expected a subscription name (letters, digits, . _ -; at most 100)' using errcode = '22023';
  end if;
  if jsonb_typeof(s->'url') is distinct from 'string' or (s->>'url') !~* '^https?://[^/\s?#]+' or length(s->>'url') > 2000
     or (s->>'url') ~ '\s' then
    raise exception 'url: expected an http:// or https:// URL, got %', coalesce(s->'url', 'null') using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'stream'), 'null') not in ('null', 'string')
     or (s->>'stream' is not null and not exists (select 1 from ledger.timeline t
                                                   where t.project = set_subscription.project and t.stream = s->>'stream')) then
    raise exception 'stream: project "%" has no stream %', set_subscription.project, s->'stream' using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'team'), 'null') not in ('null', 'string')
     or (s->>'team' is not null and not exists (select 1 from ledger.v_team t where t.project = set_subscription.project and t.team = s->>'team')
                                and not exists (select 1 from ledger_private.owner_rule o where o.project = set_subscription.project and o.team = s->>'team')) then
    raise exception 'team: unknown team % in project "%" (neither a team folder nor an ownership rule''s team)',
      s->'team', set_subscription.project using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'path_prefix'), 'null') not in ('null', 'string')
     or (s->>'path_prefix' is not null and (coalesce(ledger.normalise_path(s->>'path_prefix'), '') = '' or length(s->>'path_prefix') > 1024)) then
    raise exception 'path_prefix: expected a non-empty path' using errcode = '22023';
  end if;
  if s ? 'severities' and (jsonb_typeof(s->'severities') <> 'array' or jsonb_array_length(s->'severities') = 0
      or exists (select 1 from jsonb_array_elements(s->'severities') x
                  where jsonb_typeof(x) <> 'string' or x #>> '{}' not in ('error', 'warning', 'info'))) then
    raise exception 'severities: expected a non-empty array of error, warning, info' using errcode = '22023';
  end if;
  if s ? 'kinds' and (jsonb_typeof(s->'kinds') <> 'array' or jsonb_array_length(s->'kinds') = 0
      or exists (select 1 from jsonb_array_elements(s->'kinds') x
                  where jsonb_typeof(x) <> 'string' or x #>> '{}' not in ('new', 'regression', 'resolved', 'suspect'))) then
    raise exception 'kinds: expected a non-empty array of new, regression, resolved, suspect' using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'secret'), 'null') not in ('null', 'string') or length(s->>'secret') not between 16 and 200 then
    raise exception 'secret: expected 16 to 200 characters (or none: one is generated)' using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'format'), 'null') not in ('null', 'string') or coalesce(s->>'format', 'json') not in ('json', 'slack') then
    raise exception 'format: expected json or slack' using errcode = '22023';
  end if;
  if coalesce(jsonb_typeof(s->'active'), 'null') not in ('null', 'boolean') then
    raise exception 'active: expected true or false' using errcode = '22023';
  end if;

  v_secret := s->>'secret';
  if v_secret is null then
    select o.secret into v_secret from ledger_private.subscription o
     where o.project = set_subscription.project and o.name = s->>'name';
    if v_secret is null then
      v_secret := ledger_private.random_secret();
      v_generated := true;
    end if;
  end if;
  insert into ledger_private.subscription as o (project, name, stream, team, path_prefix, severities, kinds, url, secret, format,
                                                active, created_by)
  values (set_subscription.project, s->>'name', s->>'stream', s->>'team', ledger.normalise_path(s->>'path_prefix'),
          case when s ? 'severities' then array(select distinct jsonb_array_elements_text(s->'severities')) else '{error,warning,info}' end,
          case when s ? 'kinds' then array(select distinct jsonb_array_elements_text(s->'kinds')) else '{new,regression}' end,
          s->>'url', v_secret, coalesce(s->>'format', 'json'), coalesce((s->>'active')::boolean, true), actor)
  on conflict (project, name) do update
     set stream = excluded.stream, team = excluded.team, path_prefix = excluded.path_prefix, severities = excluded.severities,
         kinds = excluded.kinds, url = excluded.url, secret = excluded.secret, format = excluded.format, active = excluded.active,
         updated_at = now()
  returning * into v_row;
  return jsonb_strip_nulls(jsonb_build_object('subscription_id', v_row.subscription_id, 'project', v_row.project, 'name', v_row.name,
           'stream', v_row.stream, 'team', v_row.team, 'path_prefix', v_row.path_prefix, 'severities', v_row.severities,
           'kinds', v_row.kinds, 'url', v_row.url, 'format', v_row.format, 'active', v_row.active,
           'secret', case when v_generated then v_secret end));
end
$$;
comment on function ledger.set_subscription(text, jsonb, text) is
  'Creates or replaces (by name) a notification subscription of a project: filters (stream, team, path_prefix, severities, kinds new/regression/resolved/suspect), an http(s) webhook URL, an HMAC secret (generated and returned once when not given), format json or slack. 22023 naming the field.';


create or replace function ledger_private.snapshot_events(p_project text, p_stream text, p_cl bigint, p_with_suspects boolean)
returns table (kind text, issue_id bigint, severity text, category text, message text, path text, team text, people text[],
               start_cl bigint, suppressed boolean, suspects jsonb)
language plpgsql stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  /* The events at CL p_cl of a timeline, from its presence intervals: new (an interval
     starts at p_cl, the issue's first), regression (an interval starts at p_cl after an
     earlier one), resolved (an interval is resolved at p_cl), and with p_with_suspects,
     suspect (a new or regressed issue whose suspect range names CLs with an author; the
     top three ranked suspects ride along). Each with owner and suppression. */
  return query
  with sup as materialized (
    select s.issue_id from ledger.suppressed_at(p_project, p_cl, p_stream) s
  ), ev as materialized (
    select case when exists (select 1 from ledger.issue_presence_interval e
                              where e.project = p_project and e.stream = p_stream and e.issue_id = i.issue_id
                                and e.start_cl < p_cl) then 'regression' else 'new' end as kind,
           i.issue_id, i.start_cl
      from ledger.issue_presence_interval i
     where i.project = p_project and i.stream = p_stream and i.start_cl = p_cl
    union all
    select 'resolved', i.issue_id, i.start_cl
      from ledger.issue_presence_interval i
     where i.project = p_project and i.stream = p_stream and i.resolved_cl = p_cl
  ), rich as (
    select ev.kind, ev.issue_id, ii.severity, ii.category, ii.message, ii.path collate "default" as path, w.team, w.people,
           ev.start_cl, ev.issue_id in (select sup.issue_id from sup) as suppressed,
           case when p_with_suspects and ev.kind <> 'resolved' then
             (select jsonb_agg(jsonb_build_object('cl', x.cl, 'author', x.author, 'rank', x.rank, 'description', left(x.description, 200)))
                from (select * from ledger.suspects(p_project, ev.issue_id, ev.start_cl, p_stream) z
                       where z.author is not null order by z.rank desc, z.cl desc limit 3) x) end as suspects
      from ev
      join ledger.issue_instance ii on ii.issue_id = ev.issue_id
      cross join lateral ledger.owner_of(p_project, ii.path) w
  )
  select r.kind, r.issue_id, r.severity, r.category, r.message, r.path, r.team, r.people, r.start_cl, r.suppressed, r.suspects
    from rich r
  union all
  select 'suspect', r.issue_id, r.severity, r.category, r.message, r.path, r.team, r.people, r.start_cl, r.suppressed, r.suspects
    from rich r
   where r.suspects is not null;
end
$$;
comment on function ledger_private.snapshot_events(text, text, bigint, boolean) is
  'The notifiable events at one CL of a timeline (new, regression, resolved, suspect), from the presence intervals, with owner, suppression and suspects.';

create or replace function ledger_private.enqueue_notify(p_snapshot_id bigint)
returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_s record;
begin
  /* After a snapshot's processing committed: when its project has an active
     subscription, enqueues notify_snapshot on the timeline's queue, one job key per
     content version (a retried call adds nothing). Returns whether a job was added. */
  select s.project, s.stream, s.processed_version, s.state into v_s from ledger.snapshot s where s.snapshot_id = p_snapshot_id;
  if not found or v_s.state <> 'done'
     or not exists (select 1 from ledger_private.subscription u where u.project = v_s.project and u.active) then
    return false;
  end if;
  perform graphile_worker.add_job('notify_snapshot', json_build_object('snapshot_id', p_snapshot_id),
            queue_name => ledger_private.timeline_queue(v_s.project, v_s.stream),
            job_key => format('notify_snapshot:%s:%s', p_snapshot_id, v_s.processed_version),
            job_key_mode => 'preserve_run_at', max_attempts => 10);
  return true;
end
$$;
comment on function ledger_private.enqueue_notify(bigint) is
  'Enqueues the notify_snapshot job of a processed snapshot (when its project has active subscriptions); idempotent per content version.';

create or replace function ledger_private.notification_body(p_sub ledger_private.subscription, p_key text, p_snapshot_id bigint,
                                                          p_project text, p_stream text, p_cl bigint, p_events jsonb)
returns text
language plpgsql stable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_counts jsonb;
  v_listed jsonb;
  v_max int := 500;
  v_text text;
  v_lines text;
begin
  /* The exact message text: json (all counts, the first 500 events, how many more) or
     slack (text + mrkdwn blocks, the first 20 events; buildledger fields alongside). */
  select jsonb_object_agg(k, (select count(*) from jsonb_array_elements(p_events) e where e->>'kind' = k))
    into v_counts from unnest(array['new', 'regression', 'resolved', 'suspect']) k;
  select coalesce(jsonb_agg(e order by o), '[]') into v_listed
    from jsonb_array_elements(p_events) with ordinality x(e, o) where o <= v_max;
  if p_sub.format = 'json' then
    return jsonb_build_object('type', 'buildledger.notification', 'idempotency_key', p_key,
      'subscription', p_sub.name, 'project', p_project, 'stream', p_stream, 'cl', p_cl, 'snapshot_id', p_snapshot_id,
      'counts', v_counts, 'events', v_listed, 'events_omitted', greatest(jsonb_array_length(p_events) - v_max, 0))::text;
  end if;
  v_text := format('buildledger %s/%s CL %s: %s', p_project, p_stream, p_cl,
    (select string_agg(format('%s %s', v_counts->>k, k), ', ' order by o) from unnest(array['new', 'regression', 'resolved', 'suspect']) with ordinality u(k, o)
      where (v_counts->>k)::int > 0));
  select string_agg(format('• *%s* %s `%s`: %s%s', e->>'kind', e->>'severity', e->>'path', left(e->>'message', 200),
                           case when e->'suspects' is not null and e->>'kind' = 'suspect'
                                then format(' (suspect CL %s by %s)', e->'suspects'->0->>'cl', e->'suspects'->0->>'author') else '' end),
                    E'\n' order by o)
    into v_lines from jsonb_array_elements(p_events) with ordinality x(e, o) where o <= 20;
  if jsonb_array_length(p_events) > 20 then
    v_lines := v_lines || format(E'\n… and %s more', jsonb_array_length(p_events) - 20);
  end if;
  return jsonb_build_object('text', v_text,
    'blocks', jsonb_build_array(
      jsonb_build_object('type', 'section', 'text', jsonb_build_object('type', 'mrkdwn', 'text', v_text)),
      jsonb_build_object('type', 'section', 'text', jsonb_build_object('type', 'mrkdwn', 'text', left(coalesce(v_lines, ''), 2900)))),
    'buildledger', jsonb_build_object('idempotency_key', p_key, 'subscription', p_sub.name, 'project', p_project,
                                      'stream', p_stream, 'cl', p_cl, 'snapshot_id', p_snapshot_id, 'counts', v_counts))::text;
end
$$;
comment on function ledger_private.notification_body(ledger_private.subscription, text, bigint, text, text, bigint, jsonb) is
  'The body of one notification message for a subscription (json or Slack-compatible), built once and stored in the outbox so every attempt sends the same bytes.';

create or replace function ledger_private.notify_snapshot(p_snapshot_id bigint)
returns integer
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_s record;
  v_sub ledger_private.subscription;
  v_events jsonb;
  v_key text;
  v_id bigint;
  v_n int := 0;
  v_all jsonb;
begin
  /* One message per matching subscription for a processed snapshot: its CL's events
     (ledger_private.snapshot_events) filtered by the subscription (stream, team,
     path prefix, severities, kinds; suppressed issues only in resolved), minus events
     this subscription was already sent. Writes the outbox row, its events and the
     deliver_notification job in this transaction; a second call for the same content
     version writes nothing (unique keys). Returns the number of messages queued. */
  select s.snapshot_id, s.project, s.stream, s.cl, s.state, s.processed_version into v_s
    from ledger.snapshot s where s.snapshot_id = p_snapshot_id;
  if not found or v_s.state <> 'done' then
    return 0;
  end if;
  -- one notifier per timeline at a time (the queue already serialises; this also covers direct calls)
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('notify:' || v_s.project), pg_catalog.hashtext(v_s.stream));
  select coalesce(jsonb_agg(to_jsonb(e) order by e.kind, e.severity, e.path, e.issue_id), '[]') into v_all
    from ledger_private.snapshot_events(v_s.project, v_s.stream, v_s.cl,
           exists (select 1 from ledger_private.subscription u where u.project = v_s.project and u.active and 'suspect' = any(u.kinds))) e;
  for v_sub in select * from ledger_private.subscription u
                where u.project = v_s.project and u.active and (u.stream is null or u.stream = v_s.stream)
                order by u.subscription_id loop
    continue when exists (select 1 from ledger_private.notification_outbox o
                           where o.subscription_id = v_sub.subscription_id and o.snapshot_id = p_snapshot_id
                             and o.content_version = v_s.processed_version);
    select coalesce(jsonb_agg(e - 'suppressed' order by o), '[]') into v_events
      from jsonb_array_elements(v_all) with ordinality x(e, o)
     where e->>'kind' = any(v_sub.kinds)
       and e->>'severity' = any(v_sub.severities)
       and (v_sub.team is null or e->>'team' = v_sub.team)
       and (v_sub.path_prefix is null or ledger.path_covered(e->>'path', array[v_sub.path_prefix]))
       and (not (e->>'suppressed')::boolean or e->>'kind' = 'resolved')
       and not exists (select 1 from ledger_private.notification_event n
                        where n.subscription_id = v_sub.subscription_id and n.project = v_s.project and n.stream = v_s.stream
                          and n.cl = v_s.cl and n.issue_id = (e->>'issue_id')::bigint and n.kind = e->>'kind');
    continue when jsonb_array_length(v_events) = 0;
    v_key := format('bl-%s-%s-%s', v_sub.subscription_id, p_snapshot_id, v_s.processed_version);
    insert into ledger_private.notification_outbox (subscription_id, snapshot_id, content_version, project, stream, cl,
                                                   idempotency_key, body, event_count)
    values (v_sub.subscription_id, p_snapshot_id, v_s.processed_version, v_s.project, v_s.stream, v_s.cl, v_key,
            ledger_private.notification_body(v_sub, v_key, p_snapshot_id, v_s.project, v_s.stream, v_s.cl, v_events),
            jsonb_array_length(v_events))
    on conflict do nothing
    returning outbox_id into v_id;
    continue when v_id is null;
    insert into ledger_private.notification_event (subscription_id, project, stream, cl, issue_id, kind, outbox_id)
    select v_sub.subscription_id, v_s.project, v_s.stream, v_s.cl, (e->>'issue_id')::bigint, e->>'kind', v_id
      from jsonb_array_elements(v_events) e
    on conflict do nothing;
    perform graphile_worker.add_job('deliver_notification', json_build_object('outbox_id', v_id),
              job_key => 'deliver_notification:' || v_id, max_attempts => 12);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.notify_snapshot(bigint) is
  'Queues one notification message per matching subscription for a processed snapshot (batched: a CL adding 2,000 issues is one message), with its events and delivery job, atomically; idempotent per snapshot content version.';

create or replace function ledger_private.delivery_get(p_outbox_id bigint)
returns table (state text, url text, secret text, body text, idempotency_key text, attempts integer)
language sql stable security definer
set search_path to pg_catalog, pg_temp
as $$
  select o.state, s.url, s.secret, o.body, o.idempotency_key, o.attempts
    from ledger_private.notification_outbox o
    join ledger_private.subscription s on s.subscription_id = o.subscription_id
   where o.outbox_id = p_outbox_id
$$;
comment on function ledger_private.delivery_get(bigint) is
  'What the deliver_notification job sends: URL, signing secret, stored body and idempotency key, and whether it was delivered already.';

create or replace function ledger_private.delivery_record(p_outbox_id bigint, p_attempt integer, p_max_attempts integer,
                                                         p_status integer, p_error text)
returns text
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_state text;
begin
  /* Logs one delivery attempt and moves the outbox row: delivered on success (no
     error), failed after the last attempt, else pending with the last error. A
     delivered row never goes back. Returns the new state. */
  insert into ledger_private.notification_attempt (outbox_id, attempt, status, error)
  values (p_outbox_id, p_attempt, p_status, left(p_error, 2000))
  on conflict (outbox_id, attempt) do update set at = now(), status = excluded.status, error = excluded.error;
  update ledger_private.notification_outbox o
     set state = case when o.state = 'delivered' or p_error is null then 'delivered'
                      when p_attempt >= p_max_attempts then 'failed' else 'pending' end,
         attempts = greatest(o.attempts, p_attempt), last_status = p_status,
         last_error = case when p_error is null then o.last_error else left(p_error, 2000) end,
         last_attempt_at = now(),
         delivered_at = case when o.state = 'delivered' then o.delivered_at when p_error is null then now() end
   where o.outbox_id = p_outbox_id
  returning o.state into v_state;
  return v_state;
end
$$;
comment on function ledger_private.delivery_record(bigint, integer, integer, integer, text) is
  'Records a delivery attempt of an outbox message (HTTP status, error) and its resulting state: delivered, pending (retried with backoff) or failed.';
