/** `stowctl login` and `stowctl config view`: their flags and help (loaded at start); what they do is in ../commands/login.ts, loaded when they run. */
import type { Command } from 'commander';
import type { LoginOpts } from '../commands/login.js';
import type { Deps, Io } from '../context.js';

const impl = () => import('../commands/login.js');

export function registerLogin(program: Command, io: Io, deps: Deps): void {
  program
    .command('login')
    .description('check a token against the server and save server, token and CA in ~/.stowage/config ($STOWAGE_CONFIG)')
    .option('--token <value>', 'read the token from stdin ("-"); never give the token itself on the command line')
    .addHelpText('after', '\nAlso takes the global --server URL, --token-file FILE and --ca FILE.\nExample: stowctl login --server https://127.0.0.1:7070 --token-file admin.token --ca .run/pki/ca.pem')
    .action(async (_o: object, cmd: Command) => (await impl()).runLogin(cmd.optsWithGlobals() as LoginOpts, io, deps));

  const config = program.command('config').description('show the stowctl configuration');
  config
    .command('view')
    .description('print ~/.stowage/config ($STOWAGE_CONFIG) with the token masked')
    .action(async () => (await impl()).runConfigView(io));
}
