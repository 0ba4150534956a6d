/**
 * The top of a V8 CPU profile (`node --cpu-prof`, e.g. bench:e2e-sim
 * --cpu-prof): self time per function and per file, largest first.
 *
 *   node --import tsx test/bench/cpu-profile-top.ts FILE.cpuprofile... [N]
 *
 * Several files (a process and its loader thread write one each) are
 * summarized one after another.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const n = /^\d+$/.test(args.at(-1) ?? '') ? Number(args.pop()) : 30;
if (args.length === 0) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile... [N]');
for (const file of args) summarize(file, JSON.parse(readFileSync(file, 'utf8')) as Profile);

function summarize(file: string, p: Profile): void {
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const selfUs = new Map<number, number>();
// a sample's time is the delta that follows it
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0)));
const total = p.endTime - p.startTime;
const short = (url: string) => url.replace(/^file:\/\/.*?\/(pkg|node_modules|cmd|test)\//, '$1/').replace(/^node:/, 'node:');
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of selfUs) {
  const f = byId.get(id)!.callFrame;
  const where = f.url ? `${short(f.url)}:${f.lineNumber + 1}` : '';
  const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
  fn.set(name, (fn.get(name) ?? 0) + us);
  const k = f.url ? short(f.url) : f.functionName;
  files.set(k, (files.get(k) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${Math.round(us / 1000)} ms`.padStart(9);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled`);
console.log('\nself time by function');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ${pct(us)}  ${k}`);
console.log('\nself time by file');
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ${pct(us)}  ${k}`);
console.log('');
}
