import { runCli } from '../shared/cluster-console/index.js';

// `npx clusterbase …`: the cluster console from a shell (see `clusterbase --help`).
void runCli(process.argv.slice(2), {
  env: process.env,
  fetch,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`clusterbase: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
