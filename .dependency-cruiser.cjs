// The import graph, enforced (run by `npm run lint`): every room imports only rooms below
// it, and nothing imports in a circle. Lower rooms first:
//   shared/src  <  shared/node  <  daemon: store (blobs < sql) · watch · env · diff  <  gate
//   <  runs (store, env, diff) · reproduce (env)  <  remote (backends · format · transfer  <  sync)  <  project
//   <  lsp  <  service (handlers)  <  api  <  cli / main;   extension: its own tree on shared/.
const room = (name, path, mayNotImport, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path },
  to: { path: mayNotImport },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Imports point down only: a circle means two rooms each lean on the other.',
      from: {},
      to: { circular: true },
    },
    room(
      'shared-is-pure',
      '^shared/src/',
      '^(shared/node|daemon|extension|test)/',
      'shared/src is used by both sides and by nothing else of ours.',
    ),
    room(
      'shared-node-serves-both',
      '^shared/node/',
      '^(daemon|extension|test)/',
      'shared/node is imported by the daemon and the extension, and imports neither.',
    ),
    room(
      'extension-talks-protocol',
      '^extension/',
      '^daemon/',
      'The extension talks to the daemon through the protocol in shared/, never its code.',
    ),
    room('daemon-never-extension', '^daemon/', '^extension/', 'The daemon never loads editor code.'),
    room(
      'blobs-below-sql',
      '^daemon/src/store/blobs/',
      '^daemon/src/store/(sql/|SnapshotStore|migrations|openDatabase)',
      'Blob backends know bytes, not rows.',
    ),
    room(
      'store-is-a-floor',
      '^daemon/src/store/',
      '^daemon/src/(remote|project|service|api|cli|lsp|env|diff|watch)/',
      'The store knows bytes and rows, not who writes them.',
    ),
    room(
      'watch-below-project',
      '^daemon/src/watch/',
      '^daemon/src/(remote|project|service|api|cli|lsp|env|diff|store)/',
      'Watchers report changes; they record nothing.',
    ),
    room(
      'env-below-project',
      '^daemon/src/env/',
      '^daemon/src/(remote|project|service|api|cli|lsp|diff|store)/',
      'Environment capture is handed a blob sink; it does not reach into the store.',
    ),
    room(
      'diff-below-project',
      '^daemon/src/diff/',
      '^daemon/src/(remote|project|service|api|cli|lsp|env|watch)/',
      'Diffs read versions through the store only.',
    ),
    room(
      'gate-on-diff-and-blobs',
      '^daemon/src/gate/',
      '^(?!shared/src/|daemon/src/(?:gate|diff|store/blobs)/)(?:shared|daemon|extension|test)/',
      'The secret gate judges bytes with the parsers in diff/; it knows no project, service or remote.',
    ),
    {
      name: 'remote-on-blobs',
      comment: 'Backends, formats and transfers move bytes; they know neither rows nor who asks.',
      severity: 'error',
      from: { path: '^daemon/src/remote/', pathNot: '^daemon/src/remote/sync/' },
      to: {
        path: '^daemon/src/(project|service|api|cli|lsp|env|diff|watch|gate|store/sql|remote/sync)/|^daemon/src/store/(SnapshotStore|migrations|openDatabase)',
      },
    },
    room(
      'remote-sync-below-service',
      '^daemon/src/remote/sync/',
      '^daemon/src/(project|service|api|cli|lsp|env|watch)/',
      'Push, pull and check join the store, the gate and the backends; serving them is the service room.',
    ),
    room(
      'runs-below-project',
      '^daemon/src/runs/',
      '^daemon/src/(remote|project|service|api|cli|lsp|watch|gate|reproduce)/',
      'Runs are read from the store and the files they wrote; recording files is the project room.',
    ),
    room(
      'reproduce-on-env',
      '^daemon/src/reproduce/',
      '^daemon/src/(remote|project|service|api|cli|lsp|diff|store|watch|gate|runs)/',
      'Rebuilding an environment needs a record and interpreters, not the store that holds the record.',
    ),
    room(
      'project-below-service',
      '^daemon/src/project/',
      '^daemon/src/(service|api|cli|lsp|diff)/',
      'A project records; serving it is the service room.',
    ),
    room(
      'lsp-below-service',
      '^daemon/src/lsp/',
      '^daemon/src/(service|api|cli)/',
      'Language features are pure functions the RPC server calls.',
    ),
    room('service-below-api', '^daemon/src/service/', '^daemon/src/(api|cli)/', 'Handlers are transport-free.'),
    room('api-below-cli', '^daemon/src/api/', '^daemon/src/cli/', 'Servers do not know the CLI.'),
    room(
      'cli-talks-protocol',
      '^daemon/src/cli/',
      '^daemon/src/(api|service|store|diff|env|watch|lsp|reproduce)/',
      'The CLI talks to the daemon over its API (`daemon run` starts the daemon bundle with --foreground).',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.cache|test-output)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
