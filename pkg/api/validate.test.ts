import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObject, validateMany, type ManifestErrorDetail } from './validate.js';
import { ApiError, type ErrorDetail } from './errors.js';

const svc = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'acc-bad' }) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata,
  spec: { image: 'localhost/stowage-busybox:1', ...spec },
});
const job = (spec: Record<string, unknown>, name = 'report') => ({
  apiVersion: 'stowage/v1',
  kind: 'Job',
  metadata: { name },
  spec: { image: 'localhost/stowage-busybox:1', ...spec },
});

function failure(obj: unknown): ApiError {
  try {
    validateObject(obj);
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected validateObject to throw');
}

/** [name, object, expected details (field, rule, message)] */
const INVALID: [string, unknown, ErrorDetail[]][] = [
  ['instances below 0', svc({ instances: -1 }), [{ field: 'spec.instances', rule: 'minimum', message: 'must be >= 0' }]],
  ['instances not integer', svc({ instances: 1.5 }), [{ field: 'spec.instances', rule: 'type', message: 'must be an integer' }]],
  ['image missing', { ...svc({}), spec: {} }, [{ field: 'spec.image', rule: 'required', message: 'is required' }]],
  ['image empty', svc({ image: '' }), [{ field: 'spec.image', rule: 'minLength', message: 'must not be empty' }]],
  ['cpus 0', svc({ resources: { cpus: 0 } }), [{ field: 'spec.resources.cpus', rule: 'exclusiveMinimum', message: 'must be > 0' }]],
  ['mem negative', svc({ resources: { mem: -1 } }), [{ field: 'spec.resources.mem', rule: 'minimum', message: 'must be >= 0' }]],
  ['disk string', svc({ resources: { disk: '1G' } }), [{ field: 'spec.resources.disk', rule: 'type', message: 'must be a number' }]],
  [
    'unknown field with hint',
    svc({ instanses: 2 }),
    [{ field: 'spec.instanses', rule: 'additionalProperties', message: 'unknown field; did you mean "instances"?' }],
  ],
  [
    'unknown field, case',
    svc({ Image: 'x' }),
    [{ field: 'spec.Image', rule: 'additionalProperties', message: 'unknown field; did you mean "image"?' }],
  ],
  ['unknown field without hint', svc({ zzz: 1 }), [{ field: 'spec.zzz', rule: 'additionalProperties', message: 'unknown field' }]],
  [
    'unknown top-level field',
    { ...svc({}), specs: {} },
    [{ field: 'specs', rule: 'additionalProperties', message: 'unknown field; did you mean "spec"?' }],
  ],
  [
    'unknown metadata field',
    svc({}, { name: 'a', lables: {} }),
    [{ field: 'metadata.lables', rule: 'additionalProperties', message: 'unknown field; did you mean "labels"?' }],
  ],
  [
    'unknown field in a health check',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP', intervalSecond: 2 }] }),
    [
      {
        field: 'spec.healthChecks[0].intervalSecond',
        rule: 'additionalProperties',
        message: 'unknown field; did you mean "intervalSeconds"?',
      },
    ],
  ],
  [
    'name not a DNS-1123 label',
    svc({}, { name: 'Hello_World' }),
    [
      {
        field: 'metadata.name',
        rule: 'dnsLabel',
        message:
          "must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got \"Hello_World\"",
      },
    ],
  ],
  [
    'name too long',
    svc({}, { name: 'a'.repeat(64) }),
    [
      {
        field: 'metadata.name',
        rule: 'dnsLabel',
        message: `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "${'a'.repeat(64)}"`,
      },
    ],
  ],
  ['name missing', svc({}, {}), [{ field: 'metadata.name', rule: 'required', message: 'is required' }]],
  [
    'namespace not a label',
    svc({}, { name: 'a', namespace: '-x' }),
    [
      {
        field: 'metadata.namespace',
        rule: 'dnsLabel',
        message:
          "must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got \"-x\"",
      },
    ],
  ],
  [
    'label key',
    svc({}, { name: 'a', labels: { 'bad key': 'x' } }),
    [
      {
        field: 'metadata.labels["bad key"]',
        rule: 'labelKey',
        message:
          "invalid label key \"bad key\": name part must consist of letters, digits, '-', '_' or '.', and must start and end with a letter or digit",
      },
    ],
  ],
  [
    'label key prefix',
    svc({}, { name: 'a', labels: { 'Stowage/owner': 'x' } }),
    [
      {
        field: 'metadata.labels["Stowage/owner"]',
        rule: 'labelKey',
        message:
          "invalid label key \"Stowage/owner\": prefix part must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')",
      },
    ],
  ],
  [
    'label value too long',
    svc({}, { name: 'a', labels: { app: 'x'.repeat(64) } }),
    [{ field: 'metadata.labels.app', rule: 'labelValue', message: `invalid label value: must be no more than 63 characters, got "${'x'.repeat(64)}"` }],
  ],
  [
    'label value not a string',
    svc({}, { name: 'a', labels: { replicas: 3 } }),
    [{ field: 'metadata.labels.replicas', rule: 'type', message: 'must be a string' }],
  ],
  ['env value not a string', svc({ env: { DEBUG: true } }), [{ field: 'spec.env.DEBUG', rule: 'type', message: 'must be a string or a secret reference {secret: NAME, key: KEY}' }]],
  [
    'env name',
    svc({ env: { '1X': 'a' } }),
    [
      {
        field: 'spec.env["1X"]',
        rule: 'envName',
        message: "invalid key: must be an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-'), got \"1X\"",
      },
    ],
  ],
  ['command not strings', svc({ command: ['sh', 1] }), [{ field: 'spec.command[1]', rule: 'type', message: 'must be a string' }]],
  ['args not a list', svc({ args: 'x' }), [{ field: 'spec.args', rule: 'type', message: 'must be a list' }]],
  [
    'placement',
    svc({ placement: 'random' }),
    [{ field: 'spec.placement', rule: 'enum', message: 'must be one of binpack, spread' }],
  ],
  ['priority integer', svc({ priority: 0.5 }), [{ field: 'spec.priority', rule: 'type', message: 'must be an integer' }]],
  [
    'killGracePeriodSeconds',
    svc({ killGracePeriodSeconds: -1 }),
    [{ field: 'spec.killGracePeriodSeconds', rule: 'minimum', message: 'must be >= 0' }],
  ],
  // ports
  [
    'port name rule',
    svc({ ports: [{ name: 'HTTP' }] }),
    [
      {
        field: 'spec.ports[0].name',
        rule: 'portName',
        message: 'must be a port name (a DNS-1123 label with at least one letter), got "HTTP"',
      },
    ],
  ],
  [
    'port name digits only',
    svc({ ports: [{ name: '80' }] }),
    [{ field: 'spec.ports[0].name', rule: 'portName', message: 'must be a port name (a DNS-1123 label with at least one letter), got "80"' }],
  ],
  ['hostPort range', svc({ ports: [{ name: 'http', hostPort: 65536 }] }), [{ field: 'spec.ports[0].hostPort', rule: 'maximum', message: 'must be <= 65535' }]],
  ['servicePort range', svc({ ports: [{ name: 'http', servicePort: 65536 }] }), [{ field: 'spec.ports[0].servicePort', rule: 'maximum', message: 'must be <= 65535' }]],
  ['servicePort negative', svc({ ports: [{ name: 'http', servicePort: -1 }] }), [{ field: 'spec.ports[0].servicePort', rule: 'minimum', message: 'must be >= 0' }]],
  ['servicePort not integer', svc({ ports: [{ name: 'http', servicePort: '10080' }] }), [{ field: 'spec.ports[0].servicePort', rule: 'type', message: 'must be an integer' }]],
  [
    'servicePort twice in one service (0 may repeat)',
    svc({ ports: [{ name: 'a', servicePort: 10080 }, { name: 'b', servicePort: 0 }, { name: 'c', servicePort: 0 }, { name: 'd', servicePort: 10080 }] }),
    [{ field: 'spec.ports[3].servicePort', rule: 'unique', message: 'duplicate service port 10080 (also spec.ports[0])' }],
  ],
  [
    'servicePort on a Job',
    job({ schedule: '@daily', ports: [{ name: 'http', servicePort: 0 }] }),
    [{ field: 'spec.ports[0].servicePort', rule: 'servicesOnly', message: 'only a Service has service ports (a job run has no stable address to forward to)' }],
  ],
  [
    'more than 50 service ports',
    svc({ ports: Array.from({ length: 51 }, (_, i) => ({ name: `p${i}`, servicePort: 0 })) }),
    [{ field: 'spec.ports', rule: 'maxServicePorts', message: 'at most 50 ports may have a servicePort, got 51' }],
  ],
  ['drainSeconds negative', svc({ drainSeconds: -1 }), [{ field: 'spec.drainSeconds', rule: 'minimum', message: 'must be >= 0' }]],
  ['port needs a name', svc({ ports: [{ hostPort: 80 }] }), [{ field: 'spec.ports[0].name', rule: 'required', message: 'is required' }]],
  [
    'duplicate port names',
    svc({ ports: [{ name: 'http' }, { name: 'admin' }, { name: 'http' }] }),
    [{ field: 'spec.ports[2].name', rule: 'unique', message: 'duplicate port name "http" (also spec.ports[0])' }],
  ],
  [
    'duplicate host ports',
    svc({ ports: [{ name: 'a', hostPort: 8080 }, { name: 'b', hostPort: 8080 }, { name: 'c', hostPort: 0 }, { name: 'd', hostPort: 0 }] }),
    [{ field: 'spec.ports[1].hostPort', rule: 'unique', message: 'duplicate host port 8080 (also spec.ports[0])' }],
  ],
  // constraints
  [
    'constraint GROUP_BY',
    svc({ constraints: [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', 'x']] }),
    [{ field: 'spec.constraints[1]', rule: 'GROUP_BY', message: 'GROUP_BY takes an optional positive integer, got "x"' }],
  ],
  [
    'constraint shape',
    svc({ constraints: [['hostname']] }),
    [{ field: 'spec.constraints[0]', rule: 'constraint', message: 'must be [field, OPERATOR] or [field, OPERATOR, value]' }],
  ],
  [
    'constraint operator',
    svc({ constraints: [['hostname', 'UNIQ']] }),
    [
      {
        field: 'spec.constraints[0]',
        rule: 'constraintOperator',
        message: 'unknown operator "UNIQ"; did you mean "UNIQUE"? (one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS)',
      },
    ],
  ],
  // health checks
  [
    'health check port names no port',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP', port: 'http' }, { protocol: 'TCP', port: 'web' }] }),
    [{ field: 'spec.healthChecks[1].port', rule: 'portRef', message: 'no port "web" in spec.ports (http)' }],
  ],
  [
    'health check port index out of range',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP', portIndex: 1 }] }),
    [{ field: 'spec.healthChecks[0].portIndex', rule: 'portRef', message: 'must be < 1, the number of spec.ports' }],
  ],
  [
    'health check port as index string',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP', port: '1' }] }),
    [{ field: 'spec.healthChecks[0].port', rule: 'portRef', message: 'no port "1" in spec.ports (http)' }],
  ],
  [
    'health check without ports',
    svc({ healthChecks: [{ protocol: 'HTTP' }, { protocol: 'TCP', portIndex: 0 }] }),
    [
      { field: 'spec.healthChecks[0]', rule: 'portRef', message: 'an HTTP health check needs a port, but spec.ports is empty' },
      { field: 'spec.healthChecks[1]', rule: 'portRef', message: 'a TCP health check needs a port, but spec.ports is empty' },
    ],
  ],
  [
    'health check port and portIndex',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'TCP', port: 'http', portIndex: 0 }] }),
    [{ field: 'spec.healthChecks[0]', rule: 'portRef', message: 'set port or portIndex, not both' }],
  ],
  [
    'COMMAND needs command',
    svc({ healthChecks: [{ protocol: 'COMMAND' }] }),
    [{ field: 'spec.healthChecks[0].command', rule: 'required', message: 'is required for a COMMAND health check' }],
  ],
  [
    'health check protocol',
    svc({ healthChecks: [{ protocol: 'http' }] }),
    [{ field: 'spec.healthChecks[0].protocol', rule: 'enum', message: 'must be one of HTTP, TCP, COMMAND' }],
  ],
  [
    'health check path',
    svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP', path: 'health' }] }),
    [{ field: 'spec.healthChecks[0].path', rule: 'httpPath', message: 'must start with "/", got "health"' }],
  ],
  [
    'health check numbers',
    svc({ healthChecks: [{ protocol: 'COMMAND', command: ['true'], intervalSeconds: 0, maxConsecutiveFailures: -1 }] }),
    [
      { field: 'spec.healthChecks[0].intervalSeconds', rule: 'exclusiveMinimum', message: 'must be > 0' },
      { field: 'spec.healthChecks[0].maxConsecutiveFailures', rule: 'minimum', message: 'must be >= 0' },
    ],
  ],
  // readiness checks
  [
    'unknown field in a readiness check',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', httpStatusCodesForRedy: [204] }] }),
    [
      {
        field: 'spec.readinessChecks[0].httpStatusCodesForRedy',
        rule: 'additionalProperties',
        message: 'unknown field; did you mean "httpStatusCodesForReady"?',
      },
    ],
  ],
  [
    'readiness check names no port',
    svc({ ports: [{ name: 'http' }, { name: 'admin' }], readinessChecks: [{ protocol: 'HTTP', port: 'warmup' }] }),
    [{ field: 'spec.readinessChecks[0].port', rule: 'portRef', message: 'no port "warmup" in spec.ports (http, admin)' }],
  ],
  [
    'readiness check without ports',
    svc({ readinessChecks: [{ protocol: 'HTTP', port: 'http' }] }),
    [{ field: 'spec.readinessChecks[0].port', rule: 'portRef', message: 'no port "http": spec.ports is empty' }],
  ],
  [
    'readiness check port index out of range',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: '1' }] }),
    [{ field: 'spec.readinessChecks[0].port', rule: 'portRef', message: 'no port "1" in spec.ports (http)' }],
  ],
  [
    'readiness check needs protocol and port',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ path: '/ready' }] }),
    [
      { field: 'spec.readinessChecks[0].protocol', rule: 'required', message: 'is required' },
      { field: 'spec.readinessChecks[0].port', rule: 'required', message: 'is required' },
    ],
  ],
  [
    'readiness check over HTTPS',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTPS', port: 'http' }] }),
    [{ field: 'spec.readinessChecks[0].protocol', rule: 'readinessProtocol', message: 'HTTPS is not supported (tasks serve no TLS here): use HTTP' }],
  ],
  [
    'readiness check protocol',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'TCP', port: 'http' }] }),
    [{ field: 'spec.readinessChecks[0].protocol', rule: 'enum', message: 'must be one of HTTP' }],
  ],
  [
    'at most one readiness check',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http' }, { protocol: 'HTTP', port: 'http', path: '/b' }] }),
    [{ field: 'spec.readinessChecks', rule: 'maxItems', message: 'must have at most 1 item' }],
  ],
  [
    'readiness path and status codes',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', path: 'ready', httpStatusCodesForReady: [200, 99, 200] }] }),
    [
      { field: 'spec.readinessChecks[0].path', rule: 'httpPath', message: 'must start with "/", got "ready"' },
      { field: 'spec.readinessChecks[0].httpStatusCodesForReady[1]', rule: 'minimum', message: 'must be >= 100' },
      { field: 'spec.readinessChecks[0].httpStatusCodesForReady', rule: 'uniqueItems', message: 'must not repeat items (items 0 and 2 are equal)' },
    ],
  ],
  [
    'readiness status codes not empty',
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', httpStatusCodesForReady: [] }] }),
    [{ field: 'spec.readinessChecks[0].httpStatusCodesForReady', rule: 'minItems', message: 'must not be empty' }],
  ],
  [
    'readiness checks are for services, not jobs',
    job({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http' }] }),
    [{ field: 'spec.readinessChecks', rule: 'additionalProperties', message: 'unknown field' }],
  ],
  [
    'task readiness check port',
    { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 't' }, spec: { image: 'x', ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'web' }] } },
    [{ field: 'spec.readinessChecks[0].port', rule: 'portRef', message: 'no port "web" in spec.ports (http)' }],
  ],
  // service
  [
    'upgradeStrategy in [0,1]',
    svc({ upgradeStrategy: { minimumHealthCapacity: 1.5, maximumOverCapacity: -0.1 } }),
    [
      { field: 'spec.upgradeStrategy.minimumHealthCapacity', rule: 'maximum', message: 'must be <= 1' },
      { field: 'spec.upgradeStrategy.maximumOverCapacity', rule: 'minimum', message: 'must be >= 0' },
    ],
  ],
  ['backoffFactor >= 1', svc({ backoffFactor: 0.5 }), [{ field: 'spec.backoffFactor', rule: 'minimum', message: 'must be >= 1' }]],
  [
    'progressDeadlineSeconds > 0',
    svc({ progressDeadlineSeconds: 0 }),
    [{ field: 'spec.progressDeadlineSeconds', rule: 'exclusiveMinimum', message: 'must be > 0' }],
  ],
  [
    'a name too long for its task names',
    svc({}, { name: 'a'.repeat(58) }),
    [{ field: 'metadata.name', rule: 'maxLength', message: 'a Service name is at most 57 characters (its tasks are named <name>-<5 characters>, at most 63); got 58' }],
  ],
  [
    'depends on itself',
    svc({ dependencies: ['db', 'acc-bad'] }),
    [{ field: 'spec.dependencies[1]', rule: 'self', message: 'a Service cannot depend on itself' }],
  ],
  [
    'dependencies repeat',
    svc({ dependencies: ['db', 'db'] }),
    [{ field: 'spec.dependencies', rule: 'uniqueItems', message: 'must not repeat items (items 0 and 1 are equal)' }],
  ],
  // job
  [
    'schedule and parents',
    job({ schedule: '0 * * * *', parents: ['extract'] }),
    [
      {
        field: 'spec.parents',
        rule: 'exclusive',
        message: 'cannot be set together with spec.schedule: a Job runs on a schedule or after its parents, not both',
      },
    ],
  ],
  [
    'bad cron',
    job({ schedule: '61 * * * *' }),
    [{ field: 'spec.schedule', rule: 'schedule', message: 'invalid cron expression "61 * * * *": Invalid value for minute: 61' }],
  ],
  [
    'cron with 4 fields',
    job({ schedule: '* * * *' }),
    [
      {
        field: 'spec.schedule',
        rule: 'schedule',
        message:
          'invalid cron expression "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got 4',
      },
    ],
  ],
  [
    'cron that never fires',
    job({ schedule: '0 0 31 2 *' }),
    [{ field: 'spec.schedule', rule: 'schedule', message: 'cron expression "0 0 31 2 *" never fires' }],
  ],
  [
    'bad ISO period',
    job({ schedule: 'R/2026-12-01T00:00:00Z/2S' }),
    [
      {
        field: 'spec.schedule',
        rule: 'schedule',
        message:
          'invalid ISO 8601 repeating interval "R/2026-12-01T00:00:00Z/2S": period "2S" is not an ISO 8601 duration such as PT30S, PT1H or P1D',
      },
    ],
  ],
  [
    'time zone',
    job({ schedule: '0 * * * *', timeZone: 'Mars/Olympus' }),
    [{ field: 'spec.timeZone', rule: 'timeZone', message: 'unknown time zone "Mars/Olympus" (use an IANA name such as "UTC" or "Europe/Berlin")' }],
  ],
  [
    'concurrencyPolicy',
    job({ concurrencyPolicy: 'Never' }),
    [{ field: 'spec.concurrencyPolicy', rule: 'enum', message: 'must be one of Allow, Forbid, Replace, BufferOne' }],
  ],
  ['retries', job({ retries: -1 }), [{ field: 'spec.retries', rule: 'minimum', message: 'must be >= 0' }]],
  [
    'own parent',
    job({ parents: ['report'] }),
    [{ field: 'spec.parents[0]', rule: 'self', message: 'a Job cannot be its own parent' }],
  ],
  [
    'own parent, spelled job/NAME',
    job({ parents: ['job/report'] }),
    [{ field: 'spec.parents[0]', rule: 'self', message: 'a Job cannot be its own parent' }],
  ],
  [
    'a parent that is neither a job nor a service',
    job({ parents: ['node/n1'] }),
    [{ field: 'spec.parents[0]', rule: 'dependencyRef', message: 'must be NAME, job/NAME or service/NAME, got "node/n1"' }],
  ],
  [
    'a list of schedules: each is checked, and an interval stands alone',
    job({ schedule: ['0 * * * *', '61 * * * *', 'R/2026-12-01T00:00:00Z/PT2S'] }),
    [
      { field: 'spec.schedule[1]', rule: 'schedule', message: 'invalid cron expression "61 * * * *": Invalid value for minute: 61' },
      { field: 'spec.schedule[2]', rule: 'schedule', message: 'a list of schedules takes cron expressions only; an ISO 8601 repeating interval stands alone' },
    ],
  ],
  [
    'catch-up mode and DST policy',
    job({ schedule: '0 * * * *', catchUp: { mode: 'some' }, dstPolicy: { gap: 'later' } }),
    [
      { field: 'spec.dstPolicy.gap', rule: 'enum', message: 'must be one of next, skip' },
      { field: 'spec.catchUp.mode', rule: 'enum', message: 'must be one of latest, all, none' },
    ],
  ],
  [
    'a Job\'s sim (hollow nodes): exit code in 0..255, no other fields',
    job({ sim: { exitCode: 256, after: 1 } }),
    [
      { field: 'spec.sim.after', rule: 'additionalProperties', message: 'unknown field' },
      { field: 'spec.sim.exitCode', rule: 'maximum', message: 'must be <= 255' },
    ],
  ],
  [
    'a Job name its runs and their tasks fit',
    { ...job({}), metadata: { name: 'j'.repeat(47) } },
    [{ field: 'metadata.name', rule: 'maxLength', message: 'a Job name is at most 46 characters (its runs are named <name>-<10 characters> and their tasks <run>-<5 characters>, at most 63); got 47' }],
  ],
  [
    'history limit',
    job({ failedRunsHistoryLimit: -1 }),
    [{ field: 'spec.failedRunsHistoryLimit', rule: 'minimum', message: 'must be >= 0' }],
  ],
  // other kinds
  [
    'namespace weight',
    { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'team-a' }, spec: { weight: 0, quota: { cpus: -1 } } },
    [
      { field: 'spec.weight', rule: 'exclusiveMinimum', message: 'must be > 0' },
      { field: 'spec.quota.cpus', rule: 'minimum', message: 'must be >= 0' },
    ],
  ],
  [
    'node port range',
    { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1.example.com' }, spec: { portRanges: [{ begin: 32000, end: 31000 }] } },
    [{ field: 'spec.portRanges[0]', rule: 'portRange', message: 'begin (32000) must be <= end (31000)' }],
  ],
  [
    'node attribute value',
    { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { attributes: { rack: 1 } } },
    [{ field: 'spec.attributes.rack', rule: 'type', message: 'must be a string' }],
  ],
  [
    'jobrun template',
    {
      apiVersion: 'stowage/v1',
      kind: 'JobRun',
      metadata: { name: 'report-1764000000' },
      spec: { job: 'report', template: { image: 'x', constraints: [['rack', 'MAX_PER', 0]] } },
    },
    [{ field: 'spec.template.constraints[0]', rule: 'MAX_PER', message: 'MAX_PER takes a positive integer, got "0"' }],
  ],
  [
    'task desiredState',
    { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 't' }, spec: { image: 'x', desiredState: 'Stopped' } },
    [{ field: 'spec.desiredState', rule: 'enum', message: 'must be one of Running, Killed' }],
  ],
  [
    'event type',
    {
      apiVersion: 'stowage/v1',
      kind: 'Event',
      metadata: { name: 'hello.abc123' },
      spec: { type: 'Info', reason: 'R', message: 'm', involvedObject: { kind: 'Service', name: 'hello' }, source: 'x' },
    },
    [{ field: 'spec.type', rule: 'enum', message: 'must be one of Normal, Warning' }],
  ],
  // safe containers: what a template may ask for (whether its namespace allows it is the server's check)
  ['user not a uid or name', svc({ user: 'root;x' }), [{ field: 'spec.user', rule: 'pattern', message: 'must match ^([0-9]+|[a-z_][a-z0-9_.-]*)(:([0-9]+|[a-z_][a-z0-9_.-]*))?$' }]],
  ['readOnlyRootFilesystem not a boolean', svc({ readOnlyRootFilesystem: 'yes' }), [{ field: 'spec.readOnlyRootFilesystem', rule: 'type', message: 'must be a boolean' }]],
  ['unknown capability', svc({ capabilities: { add: ['NET_ADMN'] } }), [{ field: 'spec.capabilities.add[0]', rule: 'capability', message: 'unknown capability "NET_ADMN"; did you mean "NET_ADMIN"?' }]],
  ['capability with CAP_', job({ capabilities: { add: ['CAP_SYS_TIME'] } }), [{ field: 'spec.capabilities.add[0]', rule: 'capability', message: 'write SYS_TIME, without CAP_' }]],
  ['capability ALL', svc({ capabilities: { add: ['ALL'] } }), [{ field: 'spec.capabilities.add[0]', rule: 'capability', message: 'ALL is never granted: name each capability' }]],
  ['capabilities drop', svc({ capabilities: { drop: ['ALL'] } }), [{ field: 'spec.capabilities.drop', rule: 'additionalProperties', message: 'unknown field' }]],
  ['privileged is no field', svc({ privileged: true }), [{ field: 'spec.privileged', rule: 'additionalProperties', message: 'unknown field' }]],
  [
    'volume paths',
    svc({ volumes: [{ hostPath: '/srv/../etc', containerPath: 'data' }, { hostPath: '/srv/a', containerPath: '/' }, { hostPath: '/srv/b', containerPath: '/d' }, { hostPath: '/srv/c', containerPath: '/d' }] }),
    [
      { field: 'spec.volumes[0].hostPath', rule: 'cleanPath', message: `"/srv/../etc" must be a clean absolute path: starting with '/', no '.', '..', '//' or trailing '/'` },
      { field: 'spec.volumes[0].containerPath', rule: 'cleanPath', message: `"data" must be a clean absolute path: starting with '/', no '.', '..', '//' or trailing '/'` },
      { field: 'spec.volumes[1].containerPath', rule: 'containerPath', message: 'cannot be "/" (the container\'s root)' },
      { field: 'spec.volumes[3].containerPath', rule: 'unique', message: 'duplicate container path /d (also spec.volumes[2])' },
    ],
  ],
  [
    'namespace allowances',
    { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'a' }, spec: { allowCapabilities: ['NET_ADMIN', 'SYS_TYME'], allowHostPaths: ['/srv/data/', 'srv'] } },
    [
      { field: 'spec.allowCapabilities[1]', rule: 'capability', message: 'unknown capability "SYS_TYME"; did you mean "SYS_TIME"?' },
      { field: 'spec.allowHostPaths[0]', rule: 'cleanPath', message: `"/srv/data/" must be a clean absolute path: starting with '/', no '.', '..', '//' or trailing '/'` },
      { field: 'spec.allowHostPaths[1]', rule: 'cleanPath', message: `"srv" must be a clean absolute path: starting with '/', no '.', '..', '//' or trailing '/'` },
    ],
  ],
];

test('safe container fields pass through validation unchanged, with no defaults added', () => {
  const spec = { user: '1000:1000', readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] }, volumes: [{ hostPath: '/srv/data', containerPath: '/data', readOnly: true }] };
  const o = validateObject(svc(spec));
  for (const [k, v] of Object.entries(spec)) assert.deepEqual((o.spec as Record<string, unknown>)[k], v, k);
  const plain = validateObject(svc({})).spec as Record<string, unknown>;
  for (const k of Object.keys(spec)) assert.equal(plain[k], undefined, k);
  validateObject({ apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'a' }, spec: { allowCapabilities: ['NET_ADMIN'], allowHostPaths: ['/srv/data', '/'] } });
});

for (const [name, obj, want] of INVALID) {
  test(`invalid: ${name}`, () => {
    const e = failure(obj);
    assert.equal(e.code, 'Invalid');
    assert.equal(e.status, 422);
    assert.deepEqual(e.details, want);
  });
}

test('the message names the object and lists every field', () => {
  const e = failure(svc({ instances: -1, image: '', instanses: 1 }));
  assert.equal(
    e.message,
    'Service "acc-bad": spec.instanses: unknown field; did you mean "instances"?; spec.image: must not be empty; spec.instances: must be >= 0',
  );
  assert.equal(e.details.length, 3);
});

test('metadata errors come before spec errors', () => {
  const e = failure(svc({ instances: -1 }, { name: 'Bad' }));
  assert.deepEqual(
    e.details.map((d) => d.field),
    ['metadata.name', 'spec.instances'],
  );
});

test('object without a name is described as such', () => {
  const e = failure(svc({ instances: -1 }, {}));
  assert.match(e.message, /^Service \(no name\): metadata.name: is required; spec.instances: must be >= 0$/);
});

const BAD_REQUEST: [string, unknown, string][] = [
  ['a list', [1], 'object (no name): must be a mapping with apiVersion, kind, metadata and spec, got a list'],
  ['a string', 'x', 'object (no name): must be a mapping with apiVersion, kind, metadata and spec, got a string'],
  [
    'wrong apiVersion',
    { ...svc({}), apiVersion: 'v1' },
    'Service "acc-bad": apiVersion: must be "stowage/v1", got "v1"',
  ],
  [
    'unknown kind',
    { ...svc({}), kind: 'Deployment' },
    'Deployment "acc-bad": kind: unknown kind "Deployment" (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)',
  ],
  [
    'kind typo',
    { ...svc({}), kind: 'Servise' },
    'Servise "acc-bad": kind: unknown kind "Servise"; did you mean "Service"? (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)',
  ],
  [
    'kind alias',
    { ...svc({}), kind: 'svc' },
    'svc "acc-bad": kind: unknown kind "svc"; did you mean "Service"? (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)',
  ],
  [
    'kind missing',
    { apiVersion: 'stowage/v1', metadata: { name: 'x' } },
    'object "x": kind: is required (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)',
  ],
];

for (const [name, obj, message] of BAD_REQUEST) {
  test(`bad request: ${name}`, () => {
    const e = failure(obj);
    assert.equal(e.code, 'BadRequest');
    assert.equal(e.status, 400);
    assert.equal(e.message, message);
  });
}

test('valid objects come back new, defaulted, without status', () => {
  const input = { ...svc({ instances: 3, constraints: [['rack', 'MAX_PER', 2]] }, { name: 'hello' }), status: { running: 1 } };
  const before = structuredClone(input);
  const out = validateObject(input);
  assert.deepEqual(input, before, 'input untouched');
  assert.equal(out.status, undefined);
  assert.equal(out.metadata.namespace, 'default');
  assert.equal(out.spec.instances, 3);
  assert.deepEqual(out.spec.constraints, [['rack', 'MAX_PER', '2']]);
  assert.deepEqual(out.spec.resources, { cpus: 1, mem: 128, disk: 0 });
});

test('a defaulted object validates again to itself', () => {
  const once = validateObject(svc({ ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP' }] }, { name: 'hello' }));
  assert.deepEqual(validateObject(once), once);
});

test('accepted edge cases', () => {
  const ok = [
    svc({ instances: 0 }, { name: 'a', labels: { 'stowage/owner': 'service/hello', empty: '' }, annotations: { note: 'any text at all' } }),
    svc({ ports: [{ name: 'http' }, { name: 'admin' }], healthChecks: [{ protocol: 'TCP', port: '1' }, { protocol: 'HTTP', portIndex: 1 }] }),
    svc({ healthChecks: [{ protocol: 'COMMAND', command: ['true'] }] }),
    svc({}, { name: 'a'.repeat(57) }),
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ name: 'warm', protocol: 'HTTP', port: 'http', path: '/ready', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200, 204] }] }),
    svc({ ports: [{ name: 'http' }, { name: 'admin' }], readinessChecks: [{ protocol: 'HTTP', port: '1' }] }),
    // a readiness timeout at or over the interval: the probes never overlap, they are only spaced out
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', intervalSeconds: 1, timeoutSeconds: 1 }] }),
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', intervalSeconds: 1, timeoutSeconds: 3 }] }),
    svc({ ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', intervalSeconds: 5 }] }),
    svc({ ports: [{ name: 'http', servicePort: 0 }, { name: 'b', servicePort: 10080 }, { name: 'c' }], drainSeconds: 0 }),
    svc({ constraints: [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY'], ['rack', 'GROUP_BY', '3'], ['rack', 'LIKE', 'r[12]'], ['zone', 'IS', 'a']] }),
    job({ schedule: 'R/2026-12-01T00:00:00Z/PT2S' }),
    job({ schedule: 'R5//PT1H', timeZone: 'Europe/Berlin' }),
    job({ parents: ['extract', 'load'] }),
    job({}),
    { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'ip-10-0-0-1.ec2.internal' }, spec: { unschedulable: true } },
    { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'team-b' } },
  ];
  for (const o of ok) assert.doesNotThrow(() => validateObject(o), JSON.stringify(o));
});

test('a server-set metadata round-trips (get -o yaml, edit, apply)', () => {
  const out = validateObject(
    svc({}, { name: 'hello', namespace: 'default', uid: 'u1', resourceVersion: '42', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z' }),
  );
  assert.equal(out.metadata.resourceVersion, '42');
});

// ---- validateMany ----

function manyFailure(objs: unknown[], positions?: string[]): ApiError {
  try {
    validateMany(objs, positions);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return e;
  }
  assert.fail('expected validateMany to throw');
}

test('validateMany returns every object defaulted', () => {
  const out = validateMany([svc({}, { name: 'a' }), svc({}, { name: 'b' })]);
  assert.deepEqual(
    out.map((o) => [o.metadata.name, o.spec.instances]),
    [
      ['a', 1],
      ['b', 1],
    ],
  );
});

test('validateMany lists every failure of every document with its position', () => {
  const e = manyFailure([
    svc({}, { name: 'good' }),
    svc({ instances: -1, image: '' }),
    { ...svc({}, { name: 'x' }), kind: 'Deployment' },
  ]);
  assert.equal(e.code, 'Invalid');
  assert.equal(
    e.message,
    '2 of 3 documents are invalid: document 2 (Service "acc-bad"): spec.image: must not be empty; ' +
      'document 2 (Service "acc-bad"): spec.instances: must be >= 0; ' +
      'document 3 (Deployment "x"): kind: unknown kind "Deployment" (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)',
  );
  const d = e.details as ManifestErrorDetail[];
  assert.deepEqual(d[1], {
    field: 'spec.instances',
    rule: 'minimum',
    message: 'document 2 (Service "acc-bad"): spec.instances: must be >= 0',
    document: 2,
    object: 'Service "acc-bad"',
  });
  assert.equal(d[2]!.document, 3);
});

test('validateMany: only unidentifiable documents -> BadRequest', () => {
  const e = manyFailure([{ ...svc({}), apiVersion: 'v2' }]);
  assert.equal(e.code, 'BadRequest');
  assert.equal(e.message, '1 of 1 document is invalid: document 1 (Service "acc-bad"): apiVersion: must be "stowage/v1", got "v2"');
});

test('validateMany refuses the same object twice', () => {
  const e = manyFailure([svc({}, { name: 'a' }), svc({}, { name: 'b' }), svc({}, { name: 'a', namespace: 'default' })]);
  assert.equal(e.code, 'Invalid');
  assert.deepEqual(e.details[0], {
    field: 'metadata.name',
    rule: 'duplicate',
    message: 'document 3 (Service "a"): metadata.name: duplicates document 1: the same Service in namespace "default" twice in one batch',
    document: 3,
    object: 'Service "a"',
  });
  // different namespaces or kinds are fine
  assert.equal(validateMany([svc({}, { name: 'a' }), svc({}, { name: 'a', namespace: 'b' }), job({}, 'a')]).length, 3);
});

test('validateMany uses the positions given', () => {
  const e = manyFailure([svc({}), svc({ instances: -1 })], ['hello.yaml document 1', 'hello.yaml document 2']);
  assert.equal(e.message, '1 of 2 documents is invalid: hello.yaml document 2 (Service "acc-bad"): spec.instances: must be >= 0');
});

test('a huge number of failures: every one in details, the message shortened', () => {
  const e = failure(svc({ command: Array.from({ length: 60 }, () => 1) }));
  assert.equal(e.details.length, 60);
  assert.match(e.message, /; spec\.command\[49\]: must be a string; \(and 10 more\)$/);
});
