-- ledger.cl_trend: total / new / resolved per CL, for trend charts with CL numbers
-- on the x axis.

drop function if exists ledger.cl_trend(text, text, integer);
create function ledger.cl_trend(project text, stream text default 'main', last_n integer default 500)
returns table (cl bigint, "time" timestamptz, total integer, new integer, resolved integer)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(cl_trend.project, cl_trend.stream)
     and (cl_trend.last_n between 1 and 100000
          or ledger_private.raise_22023('last_n', format('expected 1 to 100000, got %s', coalesce(cl_trend.last_n::text, 'NULL'))) is null);
  select x.cl, ledger_private.cl_time(cl_trend.project, cl_trend.stream, x.cl), x.total, x.new, x.resolved
    from (select m.cl, m.total, m.new, m.resolved from ledger.changelist_metrics m
           where ledger_private.require_timeline(cl_trend.project, cl_trend.stream)
             and m.project = cl_trend.project and m.stream = cl_trend.stream
           order by m.cl desc limit cl_trend.last_n) x
   order by x.cl
$$;
comment on function ledger.cl_trend(text, text, integer) is
  'Open (total), new and resolved issue counts at each of the last_n (1 to 100000) CLs with a build of (project, stream), in CL order, with the CL''s time. Feeds the per-CL trend.';
