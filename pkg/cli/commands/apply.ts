/**
 * `stowctl apply -f FILE|DIR|- [-f ...] [-R] [--wait] [--timeout 5m]`:
 * parse every document first, then send them all in one
 * `POST /api/v1/apply`; the server validates all before writing any.
 */
import { type Ctx } from '../context.js';
import { parseDuration } from '../duration.js';
import { withSources } from '../apply-errors.js';
import { CliError } from '../errors.js';
import { refOf } from '../kinds.js';
import { defaultNamespaces, readManifests } from '../manifests.js';
import { toYamlText } from '../printers/output.js';
import { waitForServices } from '../rollout/wait.js';

export interface ApplyResult {
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged' | string;
}

export interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  wait?: boolean;
  /** Follow the applied Services' first tasks and print where the time went (apply-trace.ts). */
  trace?: boolean;
  timeout: string;
}

export async function runApply(ctx: Ctx, opts: ApplyOptions): Promise<void> {
  if (opts.filename.length === 0) throw new CliError('apply needs -f FILE, DIR or - (stdin)');
  const timeoutMs = parseDuration(opts.timeout);
  const manifests = await readManifests(opts.filename, { recursive: opts.recursive, stdin: ctx.io.stdin });
  if (manifests.length === 0) throw new CliError(`no objects passed to apply (read ${opts.filename.join(', ')})`);
  defaultNamespaces(manifests, ctx.g.namespace, ctx.g.namespaceExplicit);

  const tracing = opts.trace ? await import('./apply-trace.js') : undefined;
  const traceId = tracing?.stampTrace(manifests.map((m) => m.object));
  let answer: { results?: ApplyResult[]; trace?: Record<string, number> };
  const sent = tracing ? performance.timeOrigin + performance.now() : 0;
  try {
    answer = await ctx.client.request<{ results?: ApplyResult[] }>('POST', '/api/v1/apply', { body: { items: manifests.map((m) => m.object) }, ...(tracing ? { query: { trace: 1 } } : {}) });
  } catch (e) {
    throw withSources(e, manifests);
  }
  const results = answer?.results ?? [];
  switch (ctx.g.output) {
    case 'json':
      ctx.out(JSON.stringify(answer, null, 2) + '\n');
      break;
    case 'yaml':
      ctx.out(await toYamlText(answer));
      break;
    case 'name':
      for (const r of results) ctx.out(refOf(r.kind, r.name) + '\n');
      break;
    default:
      for (const r of results) ctx.out(`${refOf(r.kind, r.name)} ${r.action}\n`);
  }

  if (tracing && traceId) {
    const instances = new Map(manifests.filter((m) => m.object.kind === 'Service').map((m) => [`${m.object.metadata.namespace}/${m.object.metadata.name}`, (m.object.spec as { instances?: number }).instances ?? 1]));
    const followed = results
      .filter((r) => r.kind === 'Service' && r.action !== 'unchanged')
      .map((r) => {
        const namespace = r.namespace ?? ctx.g.namespace;
        return { namespace, name: r.name, instances: instances.get(`${namespace}/${r.name}`) ?? 1 };
      })
      .filter((s) => s.instances > 0);
    await tracing.followTrace(ctx, traceId, followed, { 'cli.sent': sent, ...(answer.trace ?? {}) }, timeoutMs);
  }

  if (opts.wait) {
    const services = results
      .filter((r) => r.kind.toLowerCase() === 'service')
      .map((r) => ({ namespace: r.namespace ?? ctx.g.namespace, name: r.name }));
    await waitForServices(ctx, services, timeoutMs);
  }
}
