/**
 * manifests/prometheus/rules.yml is written against metrics that exist:
 * every stowage_* name its expressions use is defined in metrics.ts (a
 * histogram's _bucket/_sum/_count too), with the labels the matchers name;
 * every recorded series an alert reads is recorded; and rules.test.yml has,
 * for every alert, a case where it fires and one where it does not.
 * (`promtool check rules` and `promtool test rules` run in hack/test.sh.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { agentRegistry, serverRegistry } from './metrics.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../manifests/prometheus');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
const rules = (load(readFileSync(resolve(DIR, 'rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

/** The defined metric a series name belongs to, and its label names. */
function defined(series: string): { name: string; labels: string[] } | undefined {
  const get = (name: string) => serverRegistry.getSingleMetric(name) ?? agentRegistry.getSingleMetric(name);
  const direct = get(series);
  const m = direct ?? get(series.replace(/_(bucket|sum|count)$/, ''));
  if (!m) return undefined;
  const labels = [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])];
  if (!direct && series.endsWith('_bucket')) labels.push('le');
  return { name: series, labels };
}

/** stowage_* names and the label names of their matchers: name{a="x",b=~"y"} */
function uses(expr: string): { series: string; matchers: string[] }[] {
  const out: { series: string; matchers: string[] }[] = [];
  for (const m of expr.matchAll(/(?<![:\w])(stowage_[a-z0-9_]+)(\{[^}]*\})?/g)) {
    const matchers = [...(m[2] ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]!);
    out.push({ series: m[1]!, matchers });
  }
  return out;
}

describe('manifests/prometheus/rules.yml', () => {
  it('uses only metrics defined in pkg/metrics, with labels they have', () => {
    const problems: string[] = [];
    let n = 0;
    for (const r of rules) {
      for (const u of uses(r.expr)) {
        n++;
        const d = defined(u.series);
        if (!d) problems.push(`${r.alert ?? r.record}: ${u.series} is not defined in pkg/metrics/metrics.ts`);
        else for (const l of u.matchers) if (!d.labels.includes(l)) problems.push(`${r.alert ?? r.record}: ${u.series} has no label ${l} (it has ${d.labels.join(', ') || 'none'})`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(n >= 10, `found only ${n} uses of stowage_* metrics: is the pattern still right?`);
  });

  it('records every stowage:* series an alert reads', () => {
    const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!));
    const missing = rules.flatMap((r) => [...r.expr.matchAll(/stowage:[a-z0-9_:]+/g)].map((m) => m[0]).filter((s) => !recorded.has(s)));
    assert.deepEqual(missing, []);
  });

  it('has the alerts the observability issue asks for', () => {
    assert.deepEqual(rules.filter((r) => r.alert).map((r) => r.alert), [
      'StowageNoLeader',
      'StowageLeaderFlapping',
      'StowageNodeNotReady',
      'StowageTasksCrashLooping',
      'StowageDeploymentFailed',
      'StowageJobSlotsMissed',
      'StowageJobRunsFailing',
      'StowageClusterCpuAllocatedHigh',
      'StowageClusterMemoryAllocatedHigh',
      'StowageEtcdSlow',
      'StowageEtcdNearQuota',
    ]);
  });

  it('rules.test.yml tests every alert firing and not firing', () => {
    const t = load(readFileSync(resolve(DIR, 'rules.test.yml'), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
    const cases = t.tests.flatMap((x) => x.alert_rule_test ?? []);
    const lacking: string[] = [];
    for (const a of rules.filter((r) => r.alert).map((r) => r.alert!)) {
      const mine = cases.filter((c) => c.alertname === a);
      if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) lacking.push(`${a}: no case where it fires`);
      if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) lacking.push(`${a}: no case where it does not fire`);
    }
    assert.deepEqual(lacking, []);
  });
});
