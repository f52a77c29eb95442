-- Notifications, read side (issue 12, part 5): subscriptions without their secrets
-- and the delivery log. Webhook URLs can be credentials themselves (Slack's are), so
-- readers see only the scheme and host.

drop view if exists ledger.webhook_subscriptions;
create view ledger.webhook_subscriptions as
select s.subscription_id, s.project collate "default" as project, s.name, s.stream collate "default" as stream, s.team,
       s.path_prefix, s.severities, s.kinds, substring(s.url from '^[A-Za-z]+://[^/?#]+') as url_host, s.format, s.active,
       s.created_by, s.created_at, s.updated_at
  from ledger_private.subscription s;
comment on view ledger.webhook_subscriptions is
  'Notification subscriptions per project: filters (stream, team, path prefix, severities, kinds), webhook scheme and host (never the full URL or the secret), format, active.';

drop view if exists ledger.notification_log;
create view ledger.notification_log as
select o.outbox_id, s.name as subscription, o.project collate "default" as project, o.stream collate "default" as stream, o.cl,
       o.snapshot_id, o.idempotency_key, o.event_count, o.state, o.attempts, o.last_status, o.last_error,
       o.created_at, o.last_attempt_at, o.delivered_at
  from ledger_private.notification_outbox o
  join ledger_private.subscription s on s.subscription_id = o.subscription_id;
comment on view ledger.notification_log is
  'One row per notification message (subscription × processed snapshot): how many events it carries, its delivery state (pending, delivered, failed), attempts, the last HTTP status and the last error.';

drop view if exists ledger.notification_attempts;
create view ledger.notification_attempts as
select a.outbox_id, a.attempt, a.at, a.status, a.error from ledger_private.notification_attempt a;
comment on view ledger.notification_attempts is 'Every delivery attempt of a notification message: when, the HTTP status, the error.';

comment on table ledger_private.subscription is
  'Notification subscriptions: filters, webhook URL and HMAC secret (both private: readers use ledger.webhook_subscriptions).';
comment on table ledger_private.notification_outbox is
  'One message per (subscription, snapshot, content version): the exact body sent on every attempt, its idempotency key and delivery state.';
comment on table ledger_private.notification_event is
  'The events each message carried; unique per (subscription, timeline, CL, issue, kind), so no event is notified twice to a subscription.';
comment on table ledger_private.notification_attempt is 'Every delivery attempt of a message: HTTP status and error.';
