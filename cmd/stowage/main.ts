#!/usr/bin/env node
/**
 * `stowage server` and `stowage agent`: flag parsing and wiring only; the
 * work is in pkg/server and pkg/agent.
 */
import { Command } from 'commander';
import { registerServerCommand } from '../../pkg/server/cli.js';
import { registerAgentCommand } from '../../pkg/agent/cli.js';
import { VERSION } from '../../pkg/version.js';

const program = new Command('stowage')
  .description('Stowage: a cluster manager for containers')
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s.startsWith('error:') ? s : `error: ${s}`) });

registerServerCommand(program);
registerAgentCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
