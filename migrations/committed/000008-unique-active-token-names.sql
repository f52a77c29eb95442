--! Previous: sha1:32eceab24733c8b12fce10edda1b134d485c48c2
--! Hash: sha1:335300297ddf4118cad3f794a405ad8c73442316
--! Message: unique-active-token-names

-- One active token per (project, name): names identify tokens in `token revoke` and
-- the audit trail. Older active duplicates (from before this rule) are revoked.
update ledger_private.ingest_token t set revoked_at = now()
 where t.revoked_at is null
   and exists (select 1 from ledger_private.ingest_token n
                where n.project = t.project and n.name = t.name and n.revoked_at is null and n.token_id > t.token_id);
create unique index if not exists ingest_token_active_name_idx
  on ledger_private.ingest_token (project, name) where revoked_at is null;
