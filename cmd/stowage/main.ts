#!/usr/bin/env node
/**
 * `stowage server`, `stowage agent` and `stowage proxy`: flag parsing and
 * wiring only; the work is in pkg/server, pkg/agent and pkg/proxy.
 */
import { Command } from 'commander';
import { registerServerCommand } from '../../pkg/server/cli.js';
import { registerAgentCommand } from '../../pkg/agent/cli.js';
import { registerProxyCommand } from '../../pkg/proxy/cli.js';
import { VERSION } from '../../pkg/version.js';

const program = new Command('stowage')
  .description('Stowage: a cluster manager for containers')
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s.startsWith('error:') ? s : `error: ${s}`) });

registerServerCommand(program);
registerAgentCommand(program);
registerProxyCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
