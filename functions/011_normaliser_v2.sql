-- Normaliser v2 (issue identity for real tool output). v2 = v1, then context that
-- varies between runs of the same diagnostic is removed (SPEC section 2.1):
--   Unreal log timestamps and frame counters  [2024.12.04-03.59.55:123][  0] -> (removed)
--   MSVC translation-unit context             (compiling source file foo.cpp) -> (removed)
--   MSBuild project suffix                    [C:\src\x.vcxproj] -> (removed)
--   a trailing warning flag or check          [-Wunused-variable] -> (removed: the category)
--   prose line numbers                        at line 42 / line 42 -> line <n>
--   temporary files                           /tmp/ccAb12.s, ...\AppData\Local\Temp\... -> <tmp>
--   long hexadecimal hashes (16+ digits)      9f86d081884c7d65... -> <hash>
-- Paths are normalised as in v1 (the converters place paths under source roots).
-- Identity v2 = sha256('v2' || 0x1f || message || 0x1f || path). Which version new
-- identities use is ledger_private.normaliser_state; buildledger renormalise moves a
-- ledger from v1 to v2 (functions/110_renormalise.sql).

create or replace function ledger.normalise_message_v2(p_message text)
returns text
language sql immutable strict parallel safe
as $$
  select btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    ledger.normalise_message(p_message),
    '\[\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}(:\d{3})?\](\[\s*\d+\])?', '', 'g'),
    '\s*\(compiling source file [^)]*\)\s*$', '', 'i'),
    '\s*\[[^\]]*\.(vcxproj|csproj|vcproj|vbproj|proj|sln)\]\s*$', '', 'i'),
    '\s+\[-[Wf][A-Za-z0-9_=+,-]*\]\s*$', ''),
    '\m(line) \d+\M', '\1 <n>', 'gi'),
    '(/tmp/|\\(Temp|TEMP|tmp)\\)[^\s''"]+', '<tmp>', 'g'),
    '\m[0-9A-Fa-f]{16,}\M', '<hash>', 'g'), ' ')
$$;
comment on function ledger.normalise_message_v2(text) is
  'Normaliser v2 for issue messages: v1, then removes Unreal log timestamps and frame counters, "(compiling source file ...)" and "[...vcxproj]" suffixes and a trailing [-Wflag]; "line N" becomes "line <n>", temporary files <tmp>, hex hashes of 16+ digits <hash>.';

create or replace function ledger.issue_hash_v2(p_normalised_message text, p_normalised_path text)
returns bytea
language sql stable strict parallel safe   -- (stable as convert_to is: so it is inlined)
as $$
  select sha256(convert_to('v2' || E'\x1f' || p_normalised_message || E'\x1f' || p_normalised_path, 'UTF8'))
$$;
comment on function ledger.issue_hash_v2(text, text) is
  'Issue identity v2: sha256(''v2'' || 0x1f || v2-normalised message || 0x1f || normalised path).';

create or replace function ledger_private.normaliser_version()
returns smallint
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select coalesce((select s.version from ledger_private.normaliser_state s), 1::smallint)
$$;
comment on function ledger_private.normaliser_version() is
  'The normaliser version new identities are computed with (1 until buildledger renormalise --to 2).';

create or replace function ledger.normalise_message_as(p_message text, p_version smallint)
returns text
language sql immutable parallel safe   -- (not strict: inlined into the caller)
as $$
  select case p_version when 2 then ledger.normalise_message_v2(p_message) else ledger.normalise_message(p_message) end
$$;
comment on function ledger.normalise_message_as(text, smallint) is
  'The normalised message under normaliser version p_version (1 or 2).';

create or replace function ledger.issue_hash_as(p_message text, p_path text, p_version smallint)
returns bytea
language sql stable parallel safe   -- (not strict: inlined into the caller)
as $$
  select case p_version when 2 then ledger.issue_hash_v2(ledger.normalise_message_v2(p_message), p_path)
                        else ledger.issue_hash(ledger.normalise_message(p_message), p_path) end
$$;
create or replace function ledger.issue_hash_normalised_as(p_normalised_message text, p_path text, p_version smallint)
returns bytea
language sql stable parallel safe   -- (not strict: inlined into the caller)
as $$
  select case p_version when 2 then ledger.issue_hash_v2(p_normalised_message, p_path)
                        else ledger.issue_hash(p_normalised_message, p_path) end
$$;
comment on function ledger.issue_hash_normalised_as(text, text, smallint) is
  'An issue''s identity from its message already normalised under normaliser version p_version (1 or 2) and its normalised path: ledger.issue_hash_as without the normalising.';

comment on function ledger.issue_hash_as(text, text, smallint) is
  'An issue''s identity from its raw message and normalised path under normaliser version p_version (1 or 2).';
