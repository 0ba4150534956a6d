/**
 * stowctl's command tree. Global flags live on the root command, so
 * commander accepts them before or after the verb
 * (`stowctl -n x get svc` = `stowctl get svc -n x`).
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { registerAdmin } from './verbs/admin.js';
import { registerApply } from './verbs/apply.js';
import { registerDelete } from './verbs/delete.js';
import { registerDescribe } from './verbs/describe.js';
import { registerEvents } from './verbs/events.js';
import { registerGet } from './verbs/get.js';
import { registerJob } from './verbs/job.js';
import { registerLogs } from './verbs/logs.js';
import { registerNodeCommands } from './verbs/nodes.js';
import { registerRollout } from './verbs/rollout.js';
import { registerScale } from './verbs/scale.js';
import { registerTop } from './verbs/top.js';
import { registerVersion } from './verbs/version.js';
import { registerLogin } from './verbs/login.js';
import { DEFAULT_SERVER } from './default-server.js';
import type { Deps, Io } from './context.js';
import { OUTPUT_FORMATS } from './printers/formats.js';

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
    // errors.ts is shared with every verb's code: loaded here, startup reads one file less.
    const { ExitError, exitCodeOf, formatError } = await import('./errors.js');
    if (e instanceof ExitError) return e.exitCode;
    io.stderr.write(formatError(e));
    return exitCodeOf(e);
  }
}
