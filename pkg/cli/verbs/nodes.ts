/** `stowctl cordon|uncordon|drain`: its flags and help (loaded at start); what it does is in ../commands/nodes.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/nodes.js');

export function registerNodeCommands(program: Command, io: Io, deps: Deps): void {
  program
    .command('cordon')
    .description('mark a node unschedulable: no new tasks are placed on it')
    .argument('<node...>', 'node name or node/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => void (await (await impl()).setCordon(await ctxOf(cmd, io, deps), args, true)));
  program
    .command('uncordon')
    .description('mark a node schedulable again')
    .argument('<node...>', 'node name or node/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => void (await (await impl()).setCordon(await ctxOf(cmd, io, deps), args, false)));
  program
    .command('drain')
    .description("cordon a node and have its services' tasks replaced on other nodes")
    .argument('<node...>', 'node name or node/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => (await impl()).runDrain(await ctxOf(cmd, io, deps), args));
}
