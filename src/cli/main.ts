#!/usr/bin/env node
import { operator } from './operator.js';
import { simulate } from './simulate.js';

/** `fkas <command>`: the process entry point. */
const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  operator,
  simulate,
};

const USAGE = `usage: fkas <command> [options]
commands:
  operator   run the operator (FakeAPIServer, FakeNode) and the legacy /register API
  simulate   serve one fake workload cluster and write its kubeconfig`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
    process.exit(2);
  }
  await run(rest);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
