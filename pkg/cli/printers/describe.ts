/**
 * `stowctl describe`: an object's key fields for humans, then what is
 * related to it (a service's tasks, a job's runs) and its events, newest last.
 * Jobs and JobRuns are described in describe-jobs.ts.
 */
import type { AnyResource, Endpoints, Event, Job, JobRun, Namespace, Node, Secret, Service, Task, TaskFailure } from '../../api/types.js';
import { age } from './age.js';
import { eventTime, nodeState, num, quota, secretKeys, taskPorts, taskOwner } from './columns.js';
import { describeJob, describeJobRun } from './describe-jobs.js';
import { conditions, res, section, template, when } from './describe-parts.js';
import { commandLine, fields, indent, mapLines } from './fields.js';
import { renderTable } from './table.js';
import { addressesCell } from './endpoints.js';

export interface Related {
  tasks?: Task[];
  /** A job's runs (describe shows the newest). */
  runs?: JobRun[];
  /** The jobs of a job's namespace: its children are those naming it as a parent. */
  jobs?: Job[];
  events?: Event[];
  /** A service's endpoints (its ready instances per port). */
  endpoints?: Endpoints;
  /** Why events (or tasks) could not be listed. */
  notes?: string[];
}

/** A task's readiness: only for tasks with readiness checks. */
function readiness(t: Task, now: Date): string | undefined {
  const st = t.status;
  if (!t.spec?.readinessChecks?.length) return undefined;
  if (st?.ready) return `true${st.readyAt ? `, since ${when(st.readyAt, now)}` : ''}`;
  return `false${st?.readinessMessage ? ` (${st.readinessMessage})` : ''}`;
}

function metadata(o: AnyResource, now: Date): string {
  const m = o.metadata;
  return fields([
    ['Name', m.name],
    ['Namespace', m.namespace],
    ['Kind', o.kind],
    ['Labels', mapLines(m.labels)],
    ['Annotations', m.annotations && Object.keys(m.annotations).length ? mapLines(m.annotations) : undefined],
    ['UID', m.uid],
    ['Resource Version', m.resourceVersion],
    ['Generation', m.generation],
    ['Created', when(m.creationTimestamp, now)],
  ]);
}

function service(s: Service, now: Date): string {
  const st = s.status;
  const d = st?.deployment;
  return (
    section('Spec', [
      ['Instances', s.spec?.instances],
      ...template(s.spec),
      ['Upgrade Strategy', s.spec?.upgradeStrategy ? `minimumHealthCapacity=${s.spec.upgradeStrategy.minimumHealthCapacity} maximumOverCapacity=${s.spec.upgradeStrategy.maximumOverCapacity}` : undefined],
      ['Dependencies', s.spec?.dependencies?.join(', ')],
      ['Backoff', s.spec?.backoffSeconds !== undefined ? `${s.spec.backoffSeconds}s x${s.spec.backoffFactor ?? 1}, max ${s.spec.maxLaunchDelaySeconds ?? '?'}s` : undefined],
      ['Progress Deadline', s.spec?.progressDeadlineSeconds !== undefined ? `${s.spec.progressDeadlineSeconds}s` : undefined],
      ['Drain', s.spec?.drainSeconds !== undefined ? `${s.spec.drainSeconds}s out of endpoints before a killed task's container is stopped` : undefined],
    ]) +
    section('Status', [
      ['Instances', st ? `${num(st.instances)} desired, ${num(st.running)} running, ${num(st.healthy)} healthy${st.ready !== undefined ? `, ${num(st.ready)} ready` : ''}` : '<none>'],
      ['Deployment', d ? `${d.state}, revision ${d.revision}${d.startedAt ? `, started ${age(d.startedAt, now)} ago` : ''}` : undefined],
      ['Message', d?.message],
      ['Tasks', st?.tasks !== undefined ? `${st.tasks} live, ${num(st.updated)} of the current revision, ${num(st.terminating)} terminating` : undefined],
      ['Delayed Until', st?.delayedUntil],
      ['Launch Failures', st?.backoff?.failures ? `${st.backoff.failures} in a row${st.backoff.lastFailureAt ? `, last ${age(st.backoff.lastFailureAt, now)} ago` : ''}` : undefined],
      ['Observed Generation', st?.observedGeneration],
    ]) +
    conditions(st?.conditions) +
    revisions(s) +
    failures(st?.lastFailures, now)
  );
}

/** Each port's ready instances, all of them. */
function endpointsSection(e: Endpoints): string {
  const rows = e.ports.map((p) => [p.name, p.servicePort !== undefined ? String(p.servicePort) : '<none>', addressesCell(p.addresses, true)]);
  return 'Endpoints:\n' + indent(renderTable(['PORT', 'SERVICE-PORT', 'ADDRESSES'], rows));
}

function revisions(s: Service): string {
  const rs = s.status?.revisions;
  if (!rs?.length) return '';
  const current = s.status?.deployment?.revision;
  const rows = [...rs].reverse().map((r) => [
    `${r.revision}${r.revision === current ? '*' : ''}`, r.hash, r.template.image ?? '', commandLine(r.template.command) ?? '', r.createdAt,
  ]);
  return 'Revisions:\n' + indent(renderTable(['REVISION', 'HASH', 'IMAGE', 'COMMAND', 'CREATED'], rows));
}

function failures(fs: TaskFailure[] | undefined, now: Date): string {
  if (!fs?.length) return '';
  const rows = fs.map((f) => [
    age(f.at, now), f.task, f.revision !== undefined ? String(f.revision) : '', f.state, f.exitCode !== undefined ? String(f.exitCode) : '',
    f.reason ?? '', (f.message ?? '').replace(/\s*\n\s*/g, ' '),
  ]);
  const table = 'Last Failures:\n' + indent(renderTable(['AGE', 'TASK', 'REVISION', 'STATE', 'EXIT', 'REASON', 'MESSAGE'], rows));
  // the newest failure that left output says what the container said last
  const withOutput = [...fs].sort((a, b) => b.at.localeCompare(a.at)).find((f) => f.output);
  return table + (withOutput ? lastOutput(`Last Output of ${withOutput.task}`, withOutput.output!) : '');
}

function lastOutput(title: string, output: string): string {
  return `${title}:\n${indent(output)}${output.endsWith('\n') ? '' : '\n'}`;
}

function task(t: Task, now: Date): string {
  const st = t.status;
  return (
    section('Spec', [['Owner', taskOwner(t)], ...template(t.spec), ['Desired State', t.spec?.desiredState], ['Template Hash', t.spec?.templateHash]]) +
    section('Status', [
      ['State', st?.state ?? 'Pending'],
      ['Health', st?.health],
      ['Node', st?.nodeName],
      ['Ports', st?.ports ? taskPorts(t) : undefined],
      ['Container', st?.containerId],
      ['Exit Code', st?.exitCode],
      ['Reason', st?.reason],
      ['Message', st?.message],
      ['Started', when(st?.startedAt, now)],
      ['Finished', when(st?.finishedAt, now)],
      ['Healthy Since', when(st?.healthyAt, now)],
      ['Ready', readiness(t, now)],
      ['Consecutive Failures', st?.consecutiveFailures || undefined],
      ['Pending Reason', st?.pendingReason],
      ['Pending Details', st?.pendingDetails ? mapLines(st.pendingDetails) : undefined],
      ['Allowed', st?.allowed ? [...st.allowed.capabilities.map((c) => `+${c}`), ...st.allowed.hostPaths].join(', ') || '<nothing beyond the default>' : undefined],
    ]) +
    (st?.output ? lastOutput('Last Output', st.output) : '')
  );
}

function node(n: Node, now: Date): string {
  const st = n.status;
  return (
    section('Spec', [
      ['Capacity', res(n.spec?.capacity)],
      ['Port Ranges', n.spec?.portRanges?.map((r) => `${r.begin}-${r.end}`).join(', ')],
      ['Attributes', mapLines(n.spec?.attributes)],
      ['Address', n.spec?.address],
      ['Agent Version', n.spec?.version],
      ['Driver', n.spec?.driver],
      ['Unschedulable', n.spec?.unschedulable ?? false],
    ]) +
    section('Status', [
      ['State', n.status ? nodeState(n) : undefined],
      ['Reason', st?.reason],
      ['Since', when(st?.lastTransitionTime, now)],
      ['Capacity', res(st?.capacity)],
      ['Allocated', st?.allocated ? `${res(st.allocated)} ports=${st.allocated.ports}` : undefined],
      ['Free', st?.free ? `${res(st.free)} ports=${st.free.ports}` : undefined],
    ]) +
    (st?.tasks && Object.keys(st.tasks).length
      ? 'Tasks:\n' + indent(renderTable(['TASK', 'CPUS', 'MEM', 'DISK', 'PORTS'],
          Object.entries(st.tasks).map(([k, a]) => [k, num(a.cpus), num(a.mem), num(a.disk), a.ports?.join(',') || '<none>'])))
      : '')
  );
}

function namespace(n: Namespace): string {
  return (
    section('Spec', [
      ['Weight', n.spec?.weight],
      ['Quota', quota(n.spec?.quota)],
      ['Allow Capabilities', n.spec?.allowCapabilities?.length ? n.spec.allowCapabilities.join(', ') : undefined],
      ['Allow Host Paths', n.spec?.allowHostPaths?.length ? n.spec.allowHostPaths.join('\n') : undefined],
    ]) +
    section('Status', [['Allocated', n.status?.allocated ? quota(n.status.allocated) : undefined], ['Dominant Share', n.status?.dominantShare]])
  );
}

function event(e: Event, now: Date): string {
  const io = e.spec?.involvedObject;
  return fields([
    ['Type', e.spec?.type],
    ['Reason', e.spec?.reason],
    ['Object', io ? `${io.kind}/${io.name}${io.namespace ? ` in ${io.namespace}` : ''}` : undefined],
    ['Message', e.spec?.message],
    ['Source', e.spec?.source],
    ['Count', e.spec?.count],
    ['First Seen', when(e.spec?.firstTimestamp, now)],
    ['Last Seen', when(e.spec?.lastTimestamp, now)],
  ]);
}

/** Keys and sizes, never values (the API redacts them anyway). */
function secret(s: Secret): string {
  const keys = secretKeys(s);
  if (keys.length === 0) return 'Data:  <none>\n';
  const sizes = s.status?.sizes ?? {};
  return 'Data:\n' + indent(renderTable(['KEY', 'SIZE'], keys.map((k) => [k, sizes[k] === undefined ? '?' : `${sizes[k]} bytes`])));
}

function body(o: AnyResource, related: Related, now: Date): string {
  switch (o.kind) {
    case 'Service': return service(o as Service, now);
    case 'Task': return task(o as Task, now);
    case 'Node': return node(o as Node, now);
    case 'Job': return describeJob(o as Job, related, now);
    case 'JobRun': return describeJobRun(o as JobRun, now);
    case 'Namespace': return namespace(o as Namespace);
    case 'Event': return event(o as Event, now);
    case 'Secret': return secret(o as unknown as Secret);
    default: return '';
  }
}

function tasksSection(tasks: Task[], now: Date): string {
  if (tasks.length === 0) return 'Tasks:  <none>\n';
  const rows = tasks.map((t) => [t.metadata.name, t.status?.state ?? 'Pending', t.status?.health ?? '<none>', t.status?.nodeName ?? '<none>', taskPorts(t), age(t.metadata.creationTimestamp, now)]);
  let out = 'Tasks:\n' + indent(renderTable(['NAME', 'STATE', 'HEALTH', 'NODE', 'PORTS', 'AGE'], rows));
  const pending = tasks.filter((t) => t.status?.pendingReason);
  if (pending.length) {
    out += 'Pending:\n' + pending.map((t) => `  ${t.metadata.name}: ${t.status!.pendingReason}\n`).join('');
  }
  return out;
}

export function eventsSection(events: Event[], now: Date): string {
  if (events.length === 0) return 'Events:  <none>\n';
  const sorted = [...events].sort((a, b) => (Date.parse(eventTime(a) ?? '') || 0) - (Date.parse(eventTime(b) ?? '') || 0));
  const rows = sorted.map((e) => [
    age(eventTime(e), now), e.spec?.type ?? '', e.spec?.reason ?? '',
    e.spec?.count && e.spec.count > 1 ? `x${e.spec.count}` : '', (e.spec?.message ?? '').replace(/\s*\n\s*/g, ' '),
  ]);
  return 'Events:\n' + indent(renderTable(['LAST SEEN', 'TYPE', 'REASON', 'COUNT', 'MESSAGE'], rows));
}

export function describe(o: AnyResource, related: Related, now: Date): string {
  let out = metadata(o, now) + body(o, related, now);
  if (related.endpoints?.ports.length) out += endpointsSection(related.endpoints);
  if (related.tasks) out += tasksSection(related.tasks, now);
  if (related.events) out += eventsSection(related.events, now);
  for (const n of related.notes ?? []) out += `${n}\n`;
  return out;
}
