import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { withSources } from './apply-errors.js';
import { errorFromResponse, networkCause } from './client.js';
import { CliError, formatError, UnreachableError } from './errors.js';
import type { Manifest } from './manifests.js';

test('an API error: its message, then one line per detail', () => {
  const e = new ApiError('Invalid', 'Service "x" is invalid', [
    { field: 'spec.instances', rule: 'minimum', message: 'must be >= 0' },
    { field: '', message: 'something about the whole object' },
  ]);
  assert.equal(formatError(e), 'error: Service "x" is invalid\n  spec.instances: must be >= 0\n  something about the whole object\n');
});

test('a detail already naming its field is not prefixed twice; one repeating the message is dropped', () => {
  const e = new ApiError('Invalid', 'bad', [{ field: 'spec.image', message: 'document 1: spec.image: is required' }]);
  assert.equal(formatError(e), 'error: bad\n  document 1: spec.image: is required\n');
  const y = new ApiError('BadRequest', 'f.yaml: line 2, column 1: bad indentation', [{ field: '', message: 'f.yaml: line 2, column 1: bad indentation' }]);
  assert.equal(formatError(y), 'error: f.yaml: line 2, column 1: bad indentation\n');
});

test('CLI errors and plain errors', () => {
  assert.equal(formatError(new CliError('nope', ['a', 'b'])), 'error: nope\n  a\n  b\n');
  assert.equal(formatError(new Error('boom')), 'error: boom\n');
  assert.equal(
    formatError(new UnreachableError('http://127.0.0.1:1', 'connect ECONNREFUSED 127.0.0.1:1')),
    'error: cannot reach the Stowage server at http://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is it running? set --server or STOWAGE_SERVER\n',
  );
});

test('networkCause digs the reason out of fetch-style errors', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.equal(networkCause(new TypeError('fetch failed', { cause: refused })), 'connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(networkCause(new AggregateError([refused], '')), 'connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(networkCause(refused), 'connect ECONNREFUSED 127.0.0.1:1');
});

test('HTTP errors: the JSON error body, or the status when there is none', async () => {
  const json = await errorFromResponse(new Response(JSON.stringify({ code: 'Conflict', message: 'rv 3 is not 4', details: [] }), { status: 409 }));
  assert.equal(json.code, 'Conflict');
  assert.equal(json.message, 'rv 3 is not 4');
  const text = await errorFromResponse(new Response('upstream down', { status: 502, statusText: 'Bad Gateway' }));
  assert.equal(text.code, 'Internal');
  assert.equal(text.message, 'the server answered HTTP 502 Bad Gateway: upstream down');
  const odd = await errorFromResponse(new Response(JSON.stringify({ code: 'Weird', message: 'm' }), { status: 404 }));
  assert.equal(odd.code, 'NotFound');
});

test('apply errors get the file of each failing document back', () => {
  const m = (source: string): Manifest => ({ source, object: { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'x' }, spec: {} } });
  const ms = [m('a.yaml'), m('a.yaml'), m('b.yaml')];
  const e = new ApiError('Invalid', '2 of 3 documents are invalid: ...', [
    { field: 'spec.instances', message: 'document 2 (Service "x"): spec.instances: must be >= 0', document: 2, object: 'Service "x"' } as never,
    { field: 'metadata.name', message: 'document 3 (Service "y"): metadata.name: is required', document: 3, object: 'Service "y"' } as never,
  ]);
  assert.equal(
    formatError(withSources(e, ms)),
    'error: 2 of 3 objects are invalid\n' +
    '  a.yaml document 2 (Service "x"): spec.instances: must be >= 0\n' +
    '  b.yaml document 1 (Service "y"): metadata.name: is required\n',
  );
  const plain = new ApiError('Invalid', 'no positions', [{ field: 'spec', message: 'bad' }]);
  assert.equal(withSources(plain, ms), plain);
});
