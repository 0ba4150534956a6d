/**
 * `stowctl get endpoints`: one row per service port, its ready instances.
 *
 *   SERVICE  PORT  SERVICE-PORT  ADDRESSES
 *   web      http  10080         127.0.0.1:31000,127.0.0.1:31002 + 1 more...
 */
import type { Endpoints } from '../../api/types.js';
import { NONE } from './columns.js';
import { renderTable } from './table.js';

/** Addresses shown per row; `-o wide` shows them all. */
const SHOWN = 5;

export function addressesCell(addrs: Endpoints['ports'][number]['addresses'], all: boolean): string {
  if (addrs.length === 0) return NONE;
  const shown = (all ? addrs : addrs.slice(0, SHOWN)).map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(',');
  return addrs.length > SHOWN && !all ? `${shown} + ${addrs.length - SHOWN} more...` : shown;
}

export function endpointsTable(items: Endpoints[], opts: { namespaceColumn?: boolean; wide?: boolean }): string {
  const header = [...(opts.namespaceColumn ? ['NAMESPACE'] : []), 'SERVICE', 'PORT', 'SERVICE-PORT', 'ADDRESSES', ...(opts.wide ? ['TASKS'] : [])];
  const rows: string[][] = [];
  for (const e of items) {
    const ports = e.ports.length > 0 ? e.ports : [undefined];
    for (const p of ports) {
      rows.push([
        ...(opts.namespaceColumn ? [e.metadata.namespace] : []),
        e.metadata.name,
        p?.name ?? NONE,
        p?.servicePort !== undefined ? String(p.servicePort) : NONE,
        p ? addressesCell(p.addresses, !!opts.wide) : NONE,
        ...(opts.wide ? [p?.addresses.length ? p.addresses.map((a) => `${a.task}@${a.node}`).join(',') : NONE] : []),
      ]);
    }
  }
  return renderTable(header, rows);
}
