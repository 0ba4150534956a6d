/** `stowctl version`: this client's version and the server's (`GET /version`). */
import type { Command } from 'commander';
import { VERSION } from '../../version.js';
import { makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { ExitError, formatError, UnreachableError } from '../errors.js';

export function registerVersion(program: Command, io: Io, deps: Deps): void {
  program
    .command('version')
    .description("print the client's and the server's version")
    .action(async (_o: object, cmd: Command) => runVersion(makeCtx(cmd, io, deps)));
}

export async function runVersion(ctx: Ctx): Promise<void> {
  const json = ctx.g.output === 'json';
  let server: string | undefined;
  let problem: unknown;
  try {
    server = (await ctx.client.get<{ version?: string }>('/version'))?.version ?? 'unknown';
  } catch (e) {
    problem = e;
  }
  if (json) {
    ctx.out(JSON.stringify({ client: VERSION, server: server ?? null, serverURL: ctx.g.server }, null, 2) + '\n');
  } else {
    ctx.out(`client: ${VERSION}\n`);
    ctx.out(problem instanceof UnreachableError ? `server: unreachable at ${ctx.g.server}\n` : `server: ${server ?? 'unknown'}\n`);
  }
  if (problem) {
    ctx.err(formatError(problem));
    throw new ExitError(1);
  }
}
