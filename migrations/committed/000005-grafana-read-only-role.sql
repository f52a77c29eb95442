--! Previous: sha1:15dca85ae26d30a67cc6ad52eb821f94122478f4
--! Hash: sha1:edf4f269c886e4600f826cd1bf22aa6e7bdb5d7c
--! Message: grafana-read-only-role

-- Grafana's login: a read-only role. It inherits buildledger_reader (SELECT on the
-- API, EXECUTE on the query functions only), its sessions are read-only and time
-- out. Its password is set by `buildledger migrate` from BUILDLEDGER_GRAFANA_PASSWORD
-- (docker compose does), never stored in a migration. Roles are cluster-wide, hence
-- the existence check.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'buildledger_grafana') then
    create role buildledger_grafana login in role buildledger_reader;
  end if;
end
$$;
alter role buildledger_grafana set statement_timeout = '10s';
alter role buildledger_grafana set default_transaction_read_only = on;
alter role buildledger_reader set statement_timeout = '10s';
