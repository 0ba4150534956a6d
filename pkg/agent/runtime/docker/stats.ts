/**
 * Docker's stats (GET /containers/{id}/stats?stream=false) -> what a
 * container uses, computed the way `docker stats` does:
 *
 *   cpus = (cpu_delta / system_delta) * online_cpus
 *     cpu_delta    = cpu_stats.cpu_usage.total_usage - precpu_stats.cpu_usage.total_usage   (ns)
 *     system_delta = cpu_stats.system_cpu_usage     - precpu_stats.system_cpu_usage       (ns, all cores)
 *     online_cpus  = cpu_stats.online_cpus, else the length of percpu_usage, else 1
 *   memBytes = memory_stats.usage - page cache
 *     cache = stats.total_inactive_file (cgroup v1) | stats.inactive_file (v2) | stats.cache (old engines)
 *
 * A container not running (or a first sample with no precpu) gives 0 cpus.
 */
import type { ContainerUsage } from '../runtime.js';

export interface DockerStats {
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}
interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export function usageFromStats(s: DockerStats): ContainerUsage {
  const cur = s.cpu_stats;
  const pre = s.precpu_stats;
  let cpus = 0;
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const online = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  if (pre?.system_cpu_usage && cpuDelta > 0 && systemDelta > 0) cpus = (cpuDelta / systemDelta) * online;
  const mem = s.memory_stats;
  const st = mem?.stats ?? {};
  const cache = st['total_inactive_file'] ?? st['inactive_file'] ?? st['cache'] ?? 0;
  const usage = mem?.usage ?? 0;
  const memBytes = cache < usage ? usage - cache : usage;
  return { cpus: Math.round(cpus * 1000) / 1000, memBytes };
}
