--! Previous: sha1:b2ad5cca13d9b69d9609e8dd387189fae06ee511
--! Hash: sha1:457fe06c34b6909350d9884484b795e68f4af027
--! Message: raw identity cache, slim

-- The raw identity cache, slim (issue 11). Each entry was a 32-byte key, the issue's
-- 32-byte hash and its id, about 180 bytes with its index: at 1,000 builds the 10k
-- probes of a head build landed on random pages of a 63 MB table and index, most of the
-- per-build block reads of the identity pass. Now the key is the first 16 bytes of the
-- same SHA-256 (a collision among 10^9 texts has odds of about 10^-21), the hash is gone
-- (processing groups a known text by its issue id) and the id and day live in the
-- primary key's index, so a probe reads that index only: about 40 bytes per entry.
-- Existing entries are carried over (their key's first 16 bytes).
do $$
begin
  if not exists (select 1 from pg_attribute a
                  where a.attrelid = 'ledger_private.raw_identity'::regclass and a.attname = 'hash' and not a.attisdropped) then
    return;   -- (a re-run finds the new shape)
  end if;
  create temp table _bl_ri_carry on commit drop as
  select distinct on (substr(r.raw_key, 1, 16)) substr(r.raw_key, 1, 16) as raw_key, r.issue_id, r.used_day
    from ledger_private.raw_identity r
   where r.issue_id is not null and octet_length(r.raw_key) >= 16
   order by substr(r.raw_key, 1, 16), r.used_day desc;
  drop table ledger_private.raw_identity;
  create table ledger_private.raw_identity (
    raw_key  bytea not null check (octet_length(raw_key) = 16),
    issue_id bigint not null,
    used_day int not null default 0,
    constraint raw_identity_pkey primary key (raw_key) include (issue_id, used_day)
  );
  insert into ledger_private.raw_identity (raw_key, issue_id, used_day)
  select c.raw_key, c.issue_id, c.used_day from _bl_ri_carry c order by c.raw_key;
end $$;
comment on table ledger_private.raw_identity is
  'Cache of identities by raw text: the first 16 bytes of SHA-256 of (normaliser version, raw message, path) to the issue it belongs to, with the day it was last used (entries unused for a week are pruned). A text seen before skips the normaliser.';
