/** `stowctl admin backup|defrag`: its flags and help (loaded at start); what it does is in ../commands/admin.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/admin.js');

export function registerAdmin(program: Command, io: Io, deps: Deps): void {
  const admin = program.command('admin').description("etcd's backup and housekeeping (admin only)");
  admin
    .command('backup')
    .description('save an etcd snapshot of the whole cluster to FILE (written whole or not at all; mode 0600: it holds every secret)')
    .argument('<file>', 'where to write the snapshot')
    .action(async (file: string, _o: object, cmd: Command) => (await impl()).runBackup(await ctxOf(cmd, io, deps), file));
  admin
    .command('defrag')
    .description("defragment etcd's members one after the other, to give back the space compaction freed")
    .action(async (_o: object, cmd: Command) => (await impl()).runDefrag(await ctxOf(cmd, io, deps)));
}
