/**
 * A verb's context, made when the verb runs: context.ts brings the HTTP
 * client, the config file and TLS with it, which --help never needs.
 */
import type { Command } from 'commander';
import type { Ctx, Deps, Io } from '../context.js';

export async function ctxOf(cmd: Command, io: Io, deps: Deps): Promise<Ctx> {
  const { makeCtx } = await import('../context.js');
  return makeCtx(cmd, io, deps);
}
