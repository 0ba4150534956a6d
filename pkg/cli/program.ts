/**
 * stowctl's command tree. Global flags live on the root command, so
 * commander accepts them before or after the verb
 * (`stowctl -n x get svc` = `stowctl get svc -n x`).
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { registerAdmin } from './commands/admin.js';
import { registerApply } from './commands/apply.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerEvents } from './commands/events.js';
import { registerGet } from './commands/get.js';
import { registerJob } from './commands/job.js';
import { registerLogs } from './commands/logs.js';
import { registerNodeCommands } from './commands/nodes.js';
import { registerRollout } from './commands/rollout.js';
import { registerScale } from './commands/scale.js';
import { registerTop } from './commands/top.js';
import { registerVersion } from './commands/version.js';
import { registerLogin } from './commands/login.js';
import { DEFAULT_SERVER } from './client.js';
import type { Deps, Io } from './context.js';
import { ExitError, exitCodeOf, formatError } from './errors.js';
import { OUTPUT_FORMATS } from './printers/output.js';

export function buildProgram(io: Io, deps: Deps = {}): Command {
  const program = new Command('stowctl')
    .description('stowctl controls a Stowage cluster')
    .version(VERSION, '--version', 'print the client version')
    .option('--server <url>', `the Stowage server (env STOWAGE_SERVER; default: the config's, else ${DEFAULT_SERVER})`)
    .option('--token-file <file>', "a file holding the API token (default: the config's, for its server)")
    .option('--ca <file>', "PEM CA to verify an https:// server against (default: the config's, for its server; else the system CAs)")
    .option('-n, --namespace <namespace>', 'the namespace to act in (default "default")')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS))
    // Inherited by every subcommand added below.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith('error:') ? s : `error: ${s}`),
    });
  registerApply(program, io, deps);
  registerGet(program, io, deps);
  registerDescribe(program, io, deps);
  registerDelete(program, io, deps);
  registerLogs(program, io, deps);
  registerEvents(program, io, deps);
  registerScale(program, io, deps);
  registerTop(program, io, deps);
  registerNodeCommands(program, io, deps);
  registerRollout(program, io, deps);
  registerJob(program, io, deps);
  registerVersion(program, io, deps);
  registerLogin(program, io, deps);
  registerAdmin(program, io, deps);
  return program;
}

/** Run stowctl with these arguments (without `node stowctl`); resolves to the exit code. */
export async function run(argv: string[], io: Io, deps: Deps = {}): Promise<number> {
  const program = buildProgram(io, deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander printed it already
    if (e instanceof ExitError) return e.exitCode;
    io.stderr.write(formatError(e));
    return exitCodeOf(e);
  }
}
