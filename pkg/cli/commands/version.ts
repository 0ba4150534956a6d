/** `stowctl version`: this client's version and the server's (`GET /version`). */
import { type Ctx } from '../context.js';
import { ExitError, formatError, UnreachableError } from '../errors.js';

/** `client` is this CLI's version, which the command tree already holds. */
export async function runVersion(ctx: Ctx, client: string): Promise<void> {
  const json = ctx.g.output === 'json';
  let server: string | undefined;
  let problem: unknown;
  try {
    server = (await ctx.client.get<{ version?: string }>('/version'))?.version ?? 'unknown';
  } catch (e) {
    problem = e;
  }
  if (json) {
    ctx.out(JSON.stringify({ client, server: server ?? null, serverURL: ctx.g.server }, null, 2) + '\n');
  } else {
    ctx.out(`client: ${client}\n`);
    ctx.out(problem instanceof UnreachableError ? `server: unreachable at ${ctx.g.server}\n` : `server: ${server ?? 'unknown'}\n`);
  }
  if (problem) {
    ctx.err(formatError(problem));
    throw new ExitError(1);
  }
}
