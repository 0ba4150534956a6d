import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../log/logger.js';
import { AuditLog } from './audit.js';

describe('audit log', () => {
  it('one JSON line per record, rotated by size, keeping a few files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-audit-'));
    try {
      const path = join(dir, 'audit.log');
      const a = new AuditLog({ path, maxBytes: 400, keep: 2, log: memoryLogger(), now: () => new Date(0) });
      for (let i = 0; i < 20; i++) a.write({ user: 'bob', role: 'operator', verb: 'create', kind: 'services', namespace: 'a', name: `s${i}`, code: 201 });
      a.close();
      assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`) && !existsSync(`${path}.3`), 'two rotated files kept');
      for (const f of [path, `${path}.1`, `${path}.2`]) assert.ok(statSync(f).size <= 400, f);
      const newest = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(newest.at(-1), { time: '1970-01-01T00:00:00.000Z', user: 'bob', role: 'operator', verb: 'create', kind: 'services', namespace: 'a', name: 's19', code: 201 });
      const older = JSON.parse(readFileSync(`${path}.1`, 'utf8').trim().split('\n').at(-1)!);
      assert.equal(older.name, `s${19 - newest.length}`, 'FILE.1 holds the lines just before FILE');
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
