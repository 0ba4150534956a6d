/**
 * `stowctl top` tables (kubectl top's shape), from what the API has: each
 * Node's status.capacity / allocated and the usage its agent last wrote
 * (status.usage, with per task figures under usage.tasks). Pure.
 */
import type { Node, Task } from '../../api/types.js';
import { age } from './age.js';
import { renderTable } from './table.js';

const MIB = 1024 * 1024;

/** Cores as kubectl shows them: millicores ("250m"). */
export function formatCores(cpus: number): string {
  return `${Math.round(cpus * 1000)}m`;
}

/** Bytes as MiB ("12Mi"). */
export function formatMemBytes(bytes: number): string {
  return `${Math.round(bytes / MIB)}Mi`;
}

const num = (n: number | undefined) => (n === undefined ? '-' : String(Math.round(n * 100) / 100));

export function topNodesTable(nodes: Node[], now: Date): string {
  const rows = [...nodes]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((n) => {
      const s = n.status;
      const u = s?.usage;
      const cap = s?.capacity ?? n.spec.capacity;
      return [
        n.metadata.name,
        s?.state ?? 'Unknown',
        `${u ? num(u.cpus) : '<unknown>'}/${num(s?.allocated?.cpus ?? 0)}/${num(cap?.cpus)}`,
        `${u ? `${num(u.mem)}` : '<unknown>'}/${num(s?.allocated?.mem ?? 0)}/${num(cap?.mem)}Mi`,
        u ? age(u.at, now) : '-',
      ];
    });
  return renderTable(['NAME', 'STATE', 'CPU(USED/ALLOC/CAP)', 'MEM(USED/ALLOC/CAP)', 'SAMPLED'], rows);
}

/** Running tasks with their usage from their node's status; "<unknown>" until the node's agent sampled it. */
export function topTasksTable(tasks: Task[], nodes: Node[], opts: { allNamespaces: boolean }): string {
  const byNode = new Map(nodes.map((n) => [n.metadata.name, n]));
  const rows = tasks
    .filter((t) => t.status?.state === 'Running')
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
    .map((t) => {
      const node = t.status?.nodeName ?? '';
      const u = byNode.get(node)?.status?.usage?.tasks?.[`${t.metadata.namespace ?? 'default'}/${t.metadata.name}`];
      const row = [t.metadata.name, node || '<none>', u ? formatCores(u.cpus) : '<unknown>', u ? formatMemBytes(u.memBytes) : '<unknown>'];
      return opts.allNamespaces ? [t.metadata.namespace ?? '', ...row] : row;
    });
  const header = ['NAME', 'NODE', 'CPU(cores)', 'MEM(bytes)'];
  return renderTable(opts.allNamespaces ? ['NAMESPACE', ...header] : header, rows);
}
