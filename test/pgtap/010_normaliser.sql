-- Normaliser v1 and issue identity (SPEC section 2).
begin;
select plan(23);

select is(ledger.normalise_path(E'  \\\\eu-build-01\\atlas//audio\\ui/click.wav/ '),
          'eu-build-01/atlas/audio/ui/click.wav',
          'backslashes become /, runs of / collapse, surrounding / and white space go');
select is(ledger.normalise_path('Atlas/Audio/Click.WAV'), 'Atlas/Audio/Click.WAV', 'path case is preserved');
select is(ledger.normalise_path(' // '), null, 'a path of only slashes and spaces is empty (NULL)');
select is(ledger.normalise_message(E'  Missing\t\taudio   cue  '), 'Missing audio cue',
          'message is trimmed and white space runs become one space');
select is(ledger.normalise_message('Build at 2026-11-01T12:00:00Z and 2026-11-01 12:00:00.123+02:00'),
          'Build at <ts> and <ts>', 'ISO-8601 timestamps become <ts>');
select is(ledger.normalise_message('Access violation at 0x7FF6A1B2C3D4'), 'Access violation at 0x<hex>',
          'hex literals become 0x<hex>');
select is(ledger.normalise_message('Asset {3F2504E0-4F89-11D3-9A0C-0305E82C3301} missing'), 'Asset {<guid>} missing',
          'GUIDs become <guid>');
select is(ledger.normalise_message('error in foo.cpp(123): x'), 'error in foo.cpp:<n>: x', 'foo.cpp(123) becomes foo.cpp:<n>');
select is(ledger.normalise_message('foo.cpp:123 and bar.h:12:45'), 'foo.cpp:<n> and bar.h:<n>',
          'foo.cpp:123 and foo.cpp:123:45 become foo.cpp:<n>');
select is(ledger.normalise_message('Cook took 12.5s, shader 300 ms'), 'Cook took <dur>, shader <dur>',
          'durations become <dur>');
select isnt(ledger.normalise_message('Missing audio cue UI_Click_03'), ledger.normalise_message('Missing audio cue UI_Click_04'),
            'other digits are identity: UI_Click_03 differs from UI_Click_04');
select is(ledger.normalise_message('Texture 2048x2048 exceeds budget of 64 MB'), 'Texture 2048x2048 exceeds budget of 64 MB',
          'sizes and counts are not touched');
select is(length(ledger.issue_hash('m', 'p')), 32, 'issue hash is 32 bytes');
select is(ledger.issue_hash('Missing cue', 'a/b'),
          sha256(convert_to('v1' || chr(31) || 'Missing cue' || chr(31) || 'a/b', 'UTF8')),
          'hash = sha256(v1 0x1f message 0x1f path)');
select is(ledger.canonical_severity(' Fatal '), 'error', 'severity aliases: fatal is error (case-insensitive)');
select is(array[ledger.canonical_severity('warn'), ledger.canonical_severity('display'),
                ledger.canonical_severity('note'), ledger.canonical_severity('critical')],
          array['warning', 'info', 'info', null], 'warn, display, note map; unknown severities give NULL');

-- coverage: whole segments only, and the set form (for long lists) answers exactly as
-- the list form on random paths and lists over segments that sort around '/'
select is(array[ledger.path_covered('a/b/c', array['a/b']), ledger.path_covered('a/bc', array['a/b']),
                ledger.path_covered('a/b', array['a/b']), ledger.path_covered('a', array['a/b']),
                ledger.path_covered('a/b-x/y', array['a/b', 'a/b-x/z'])],
          array[true, false, true, false, false], 'a prefix covers whole segments: itself and what lies below it');
select is(array[ledger_private.path_in_prefix_set('a/b/c', ledger_private.prefix_set(array['a/b'])),
                ledger_private.path_in_prefix_set('a/bc', ledger_private.prefix_set(array['a/b'])),
                ledger_private.path_in_prefix_set('a/b-x/y', ledger_private.prefix_set(array['a/b', 'a/b-x/z'])),
                ledger_private.path_in_prefix_set('x', ledger_private.prefix_set('{}'))],
          array[true, false, false, false], 'the set form: the same on the same cases');
select setseed(0.42);
create temp table cov_paths as
  select string_agg((array['a', 'b', 'a-b', 'ab', 'b.c', 'a b'])[1 + floor(random() * 6)::int], '/') as p
    from generate_series(1, 3000) i cross join lateral generate_series(1, 1 + (i % 5)) d
   group by i;
create temp table cov_lists as
  select j, array_agg(p) as a
    from (select j, (select string_agg((array['a', 'b', 'a-b', 'ab', 'b.c', 'a b'])[1 + floor(random() * 6)::int], '/')
                       from generate_series(1, 1 + (k + j) % 4) where k > 0) as p
            from generate_series(1, 60) j cross join lateral generate_series(1, 1 + (j * 7) % 45) k) x
   group by j;
select ok((select count(*) from cov_lists where cardinality(a) > 32) > 0, 'some random lists are long enough for the set form');
select is((select count(*)::int from cov_paths p cross join cov_lists l
            where ledger.path_covered(p.p, l.a) is distinct from ledger_private.path_in_prefix_set(p.p, ledger_private.prefix_set(l.a))),
          0, 'the set form agrees with path_covered on 3,000 random paths x 60 random lists');

-- The normaliser's cheap tests before each replacement must not change what it gives:
-- the reference below is the single expression normalise_message was before they came
-- (every replacement always run), compared on random texts of the characters and
-- pieces the patterns look for.
create function pg_temp.normalise_message_reference(p_message text) returns text
language sql immutable strict as $$
  select regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
      btrim(regexp_replace(p_message, '\s+', ' ', 'g'), ' '),
      '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?', '<ts>', 'g'),
      '0[xX][0-9A-Fa-f]+', '0x<hex>', 'g'),
      '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}', '<guid>', 'g'),
      '(\.[A-Za-z][A-Za-z0-9_]*)(\(\d+(,\d+)?\)|:\d+(:\d+)?)', '\1:<n>', 'g'),
      '\m\d+(\.\d+)? ?(ns|us|µs|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?)\M', '<dur>', 'g')
$$;
select setseed(0.17);
create temp table norm_pieces as
  select array['0', '1', '7', '9', 'a', 'F', 'e', 'x', 'X', '-', ':', '.', '(', ')', ',', ' ', ' ', ' ', '  ',
               E'\t', E'\n', E'\r', chr(8195), chr(160), 'T', 'Z', '+', 'm', 's', 'n', 'u', 'µ', 'h', 'r', 'i',
               'c', 'o', 'Ab', '_', '[', ']', '/', '\', '"', '0x', '2026-11-01', '12:00', ':30.5+02:00',
               '3F2504E0-4F89-11D3-9A0C-0305E82C3301', 'foo.cpp', '(12,3)', ':12:4', ' ms', '.5s', ' min',
               'hours', 'sec'] as p;
create temp table norm_texts as
  select string_agg(n.p[1 + floor(random() * cardinality(n.p))::int], '') as t
    from generate_series(1, 20000) i cross join lateral generate_series(1, 1 + i % 30) k cross join norm_pieces n
   group by i;
select ok((select count(*) from norm_texts where pg_temp.normalise_message_reference(t) <> t) > 10000,
          'most random texts are changed by the normaliser (the comparison below exercises the replacements)');
select ok((select count(*) from norm_texts where pg_temp.normalise_message_reference(t) = btrim(t, ' ')) > 500,
          'and some are left as they are (it exercises the skipped replacements too)');
select is((select count(*)::int from norm_texts
            where ledger.normalise_message(t) is distinct from pg_temp.normalise_message_reference(t)), 0,
          'normalise_message gives what running every replacement gives, on 20k random texts');

select * from finish();
rollback;
