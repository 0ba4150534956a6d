/**
 * Checks the schema cannot express, run after it on the raw object (so they
 * must tolerate shapes the schema already rejected: they skip them).
 *
 *   metadata     label keys and values (Kubernetes rules, '/' allowed in values)
 *   templates    unique port names, host ports and service ports (servicePort: Services,
 *                and the Tasks they make, only); constraints; health checks
 *                name an existing port, COMMAND has a command
 *   readiness    (Service, Task) the port exists
 *   Service      a name its task names fit; does not depend on itself
 *   Job          a name its run and task names fit; schedule xor parents; each schedule
 *                parses; IANA timeZone; not its own parent
 *   Node         port ranges begin <= end
 *   security     (templates) known capabilities, clean absolute volume paths, unique
 *                container paths; (Namespace) the same for allowCapabilities, allowHostPaths.
 *                Whether the namespace allows them is checked against stored state (server).
 *   Secret       all data at most 256 KiB; no value begins with the sealed prefix
 */
import type { ErrorDetail } from './errors.js';
import { checkConstraint } from './constraints.js';
import { labelKeyError, labelValueError } from './labels.js';
import { JOB_NAME_MAX, RUN_SUFFIX_LENGTH, parseRef } from './jobs.js';
import { DNS1123_LABEL_MAX, SERVICE_NAME_MAX, TASK_SUFFIX_LENGTH } from './names.js';
import { joinPath } from './paths.js';
import { scheduleError, timeZoneError } from './schedule.js';
import { CAPABILITIES, isCleanPath } from './security.js';
import { didYouMean } from './suggest.js';
import { checkSecretData } from './secrets.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

type Report = (field: string, rule: string, message: string) => void;

/** Every cross-field failure of obj (whose kind is known), in document order. */
export function crossFieldDetails(obj: Obj): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const report: Report = (field, rule, message) => out.push({ field, rule, message });
  if (isObj(obj.metadata)) checkMetadata(obj.metadata, report);
  if (obj.kind === 'Secret') checkSecretData(obj.data, report);
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  const name = isObj(obj.metadata) ? str(obj.metadata.name) : undefined;
  if (!spec) return out;
  switch (obj.kind) {
    case 'Service':
      // (over 63 is the schema's dnsLabel error already)
      if (name !== undefined && name.length > SERVICE_NAME_MAX && name.length <= DNS1123_LABEL_MAX) {
        report('metadata.name', 'maxLength', `a Service name is at most ${SERVICE_NAME_MAX} characters (its tasks are named <name>-<${TASK_SUFFIX_LENGTH} characters>, at most ${DNS1123_LABEL_MAX}); got ${name.length}`);
      }
      checkTemplate(spec, 'spec', report);
      checkServicePorts(spec, 'spec', true, report);
      checkReadiness(spec, 'spec', report);
      list(spec.dependencies).forEach((d, i) => {
        const ref = typeof d === 'string' ? parseRef(d, 'service') : undefined;
        if (ref?.kind === 'service' && ref.name === name) report(`spec.dependencies[${i}]`, 'self', 'a Service cannot depend on itself');
      });
      break;
    case 'Job':
      if (name !== undefined && name.length > JOB_NAME_MAX && name.length <= DNS1123_LABEL_MAX) {
        report('metadata.name', 'maxLength', `a Job name is at most ${JOB_NAME_MAX} characters (its runs are named <name>-<${RUN_SUFFIX_LENGTH - 1} characters> and their tasks <run>-<${TASK_SUFFIX_LENGTH} characters>, at most ${DNS1123_LABEL_MAX}); got ${name.length}`);
      }
      checkTemplate(spec, 'spec', report);
      checkServicePorts(spec, 'spec', false, report);
      checkJob(spec, name, report);
      break;
    case 'Task':
      checkTemplate(spec, 'spec', report);
      checkServicePorts(spec, 'spec', true, report);
      checkReadiness(spec, 'spec', report);
      break;
    case 'JobRun':
      if (isObj(spec.template)) {
        checkTemplate(spec.template, 'spec.template', report);
        checkServicePorts(spec.template, 'spec.template', false, report);
      }
      break;
    case 'Namespace':
      list(spec.allowCapabilities).forEach((c, i) => checkCapability(c, `spec.allowCapabilities[${i}]`, report));
      list(spec.allowHostPaths).forEach((p, i) => checkPath(p, `spec.allowHostPaths[${i}]`, report));
      break;
    case 'Node':
      list(spec.portRanges).forEach((r, i) => {
        if (isObj(r) && typeof r.begin === 'number' && typeof r.end === 'number' && r.begin > r.end)
          report(`spec.portRanges[${i}]`, 'portRange', `begin (${r.begin}) must be <= end (${r.end})`);
      });
      break;
  }
  return out;
}

function checkMetadata(meta: Obj, report: Report): void {
  for (const which of ['labels', 'annotations'] as const) {
    const m = meta[which];
    if (!isObj(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      const field = joinPath(`metadata.${which}`, k);
      const keyErr = labelKeyError(k);
      if (keyErr) report(field, 'labelKey', keyErr);
      if (which !== 'labels') continue; // annotation values: any string (the schema checks the type)
      const valErr = typeof v === 'string' ? labelValueError(v) : 'must be a string';
      if (valErr) report(field, typeof v === 'string' ? 'labelValue' : 'type', valErr);
    }
  }
}

function checkCapability(c: unknown, field: string, report: Report): void {
  if (typeof c !== 'string' || !/^[A-Z][A-Z_]*$/.test(c)) return; // the schema's
  if (c === 'ALL') report(field, 'capability', 'ALL is never granted: name each capability');
  else if (c.startsWith('CAP_') && CAPABILITIES.includes(c.slice(4))) report(field, 'capability', `write ${c.slice(4)}, without CAP_`);
  else if (!CAPABILITIES.includes(c)) report(field, 'capability', `unknown capability ${JSON.stringify(c)}${didYouMean(c, CAPABILITIES)}`);
}

function checkPath(p: unknown, field: string, report: Report): void {
  if (typeof p !== 'string' || p === '') return; // the schema's
  if (!isCleanPath(p)) report(field, 'cleanPath', `${JSON.stringify(p)} must be a clean absolute path: starting with '/', no '.', '..', '//' or trailing '/'`);
}

/** Capabilities and volumes of a template (whether the namespace allows them is the server's check). */
function checkSecurity(t: Obj, base: string, report: Report): void {
  if (isObj(t.capabilities)) list(t.capabilities.add).forEach((c, i) => checkCapability(c, `${base}.capabilities.add[${i}]`, report));
  const targets = new Map<string, number>();
  list(t.volumes).forEach((v, i) => {
    if (!isObj(v)) return;
    const at = `${base}.volumes[${i}]`;
    checkPath(v.hostPath, `${at}.hostPath`, report);
    checkPath(v.containerPath, `${at}.containerPath`, report);
    const target = str(v.containerPath);
    if (target === undefined) return;
    if (target === '/') report(`${at}.containerPath`, 'containerPath', 'cannot be "/" (the container\'s root)');
    const first = targets.get(target);
    if (first !== undefined) report(`${at}.containerPath`, 'unique', `duplicate container path ${target} (also ${base}.volumes[${first}])`);
    else targets.set(target, i);
  });
}

function checkTemplate(t: Obj, base: string, report: Report): void {
  checkSecurity(t, base, report);
  const ports = list(t.ports);
  const names = new Map<string, number>();
  const hostPorts = new Map<number, number>();
  ports.forEach((p, i) => {
    if (!isObj(p)) return;
    const n = str(p.name);
    if (n !== undefined) {
      const first = names.get(n);
      if (first !== undefined)
        report(`${base}.ports[${i}].name`, 'unique', `duplicate port name "${n}" (also ${base}.ports[${first}])`);
      else names.set(n, i);
    }
    if (typeof p.hostPort === 'number' && p.hostPort > 0) {
      const first = hostPorts.get(p.hostPort);
      if (first !== undefined)
        report(
          `${base}.ports[${i}].hostPort`,
          'unique',
          `duplicate host port ${p.hostPort} (also ${base}.ports[${first}])`,
        );
      else hostPorts.set(p.hostPort, i);
    }
  });

  list(t.constraints).forEach((c, i) => {
    const r = checkConstraint(c);
    if (!r.ok) report(`${base}.constraints[${i}]`, r.rule, r.message);
  });

  list(t.healthChecks).forEach((hc, i) => {
    if (!isObj(hc)) return;
    const at = `${base}.healthChecks[${i}]`;
    const protocol = str(hc.protocol);
    if (protocol === 'COMMAND') {
      if (hc.command === undefined) report(`${at}.command`, 'required', 'is required for a COMMAND health check');
      return;
    }
    if (protocol !== 'HTTP' && protocol !== 'TCP') return;
    const port = str(hc.port);
    const index = typeof hc.portIndex === 'number' ? hc.portIndex : undefined;
    if (port !== undefined && hc.portIndex !== undefined) {
      report(at, 'portRef', 'set port or portIndex, not both');
    } else if (port !== undefined) {
      const err = portRefError(port, ports, base);
      if (err) report(`${at}.port`, 'portRef', err);
    } else if (ports.length === 0) {
      report(at, 'portRef', `${protocol === 'HTTP' ? 'an' : 'a'} ${protocol} health check needs a port, but ${base}.ports is empty`);
    } else if (index !== undefined && index >= ports.length) {
      report(`${at}.portIndex`, 'portRef', `must be < ${ports.length}, the number of ${base}.ports`);
    }
  });
}

/**
 * The most ports with a service port one service may have: each is claimed in the service's own
 * transaction (a compare and a write), and a write must fit etcd's 128 operations.
 */
export const MAX_SERVICE_PORTS = 50;

/** Service ports: unique within the template (0, "assign one", may repeat); none outside Services and their tasks. */
function checkServicePorts(t: Obj, base: string, allowed: boolean, report: Report): void {
  const count = list(t.ports).filter((p) => isObj(p) && p.servicePort !== undefined).length;
  if (allowed && count > MAX_SERVICE_PORTS) report(`${base}.ports`, 'maxServicePorts', `at most ${MAX_SERVICE_PORTS} ports may have a servicePort, got ${count}`);
  const seen = new Map<number, number>();
  list(t.ports).forEach((p, i) => {
    if (!isObj(p) || typeof p.servicePort !== 'number') return;
    const at = `${base}.ports[${i}].servicePort`;
    if (!allowed) {
      report(at, 'servicesOnly', 'only a Service has service ports (a job run has no stable address to forward to)');
      return;
    }
    if (p.servicePort === 0) return;
    const first = seen.get(p.servicePort);
    if (first !== undefined) report(at, 'unique', `duplicate service port ${p.servicePort} (also ${base}.ports[${first}])`);
    else seen.set(p.servicePort, i);
  });
}

/** Why `port` (a port name, or an index as a digit string) names none of ports, if it does not. */
function portRefError(port: string, ports: unknown[], base: string): string | undefined {
  const names = ports.map((p) => (isObj(p) ? str(p.name) : undefined)).filter((n): n is string => n !== undefined);
  const byIndex = /^\d+$/.test(port) ? Number(port) : undefined;
  if (byIndex !== undefined ? byIndex < ports.length : names.includes(port)) return undefined;
  if (ports.length === 0) return `no port "${port}": ${base}.ports is empty`;
  return `no port "${port}" in ${base}.ports (${[...new Set(names)].join(', ')})`;
}

/** Readiness checks (Service, Task): the port exists. */
function checkReadiness(t: Obj, base: string, report: Report): void {
  list(t.readinessChecks).forEach((rc, i) => {
    if (!isObj(rc)) return;
    const at = `${base}.readinessChecks[${i}]`;
    const port = str(rc.port);
    const err = port !== undefined ? portRefError(port, list(t.ports), base) : undefined;
    if (err) report(`${at}.port`, 'portRef', err);
    // (no rule between timeoutSeconds and intervalSeconds: the probes of a check never overlap;
    // the next starts intervalSeconds after one began, or as soon as a slow one ends)
  });
}

function checkJob(spec: Obj, name: string | undefined, report: Report): void {
  const schedules = Array.isArray(spec.schedule) ? spec.schedule : spec.schedule === undefined ? [] : [spec.schedule];
  const tz = str(spec.timeZone);
  if (schedules.length > 0 && spec.parents !== undefined)
    report('spec.parents', 'exclusive', 'cannot be set together with spec.schedule: a Job runs on a schedule or after its parents, not both');
  const tzErr = tz !== undefined ? timeZoneError(tz) : undefined;
  if (tzErr) report('spec.timeZone', 'timeZone', tzErr);
  schedules.forEach((sch, i) => {
    const at = Array.isArray(spec.schedule) ? `spec.schedule[${i}]` : 'spec.schedule';
    const s = str(sch);
    if (s === undefined || s === '') return;
    const err = scheduleError(s, tzErr ? 'UTC' : (tz ?? 'UTC'));
    if (err) report(at, 'schedule', err);
    else if (Array.isArray(spec.schedule) && s.trim().startsWith('R'))
      report(at, 'schedule', 'a list of schedules takes cron expressions only; an ISO 8601 repeating interval stands alone');
  });
  list(spec.parents).forEach((p, i) => {
    const s = str(p);
    if (s !== undefined && name !== undefined && parseRef(s, 'job').kind === 'job' && parseRef(s, 'job').name === name)
      report(`spec.parents[${i}]`, 'self', 'a Job cannot be its own parent');
  });
}
