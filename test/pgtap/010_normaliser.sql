-- Normaliser v1 and issue identity (SPEC section 2).
begin;
select plan(16);

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

select * from finish();
rollback;
