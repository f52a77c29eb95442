-- ledger_private.raise_22023: raising from inside an SQL expression (CASE branches of
-- inlinable SQL functions), so argument checks keep SQLSTATE 22023 and name the field.

create or replace function ledger_private.raise_22023(p_field text, p_message text)
returns text
language plpgsql immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception '%: %', p_field, p_message using errcode = '22023';
end
$$;
comment on function ledger_private.raise_22023(text, text) is
  'Raises SQLSTATE 22023 with the message "<field>: <message>"; never returns (its text type lets it stand in any CASE branch).';
