import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../api/errors.js';
import { agentGroups, parseRole, serverAddress, serverGroups } from './sd.js';

const node = (name: string, address?: string) => ({
  metadata: { name },
  spec: { capacity: { cpus: 1, mem: 1, disk: 1 }, portRanges: [], attributes: {}, ...(address !== undefined ? { address } : {}) },
});

describe('serverAddress', () => {
  it('takes host:port after the @ of the election identity', () => {
    assert.equal(serverAddress('vm/2106@127.0.0.1:7070'), '127.0.0.1:7070');
    assert.equal(serverAddress('vm/1@[::1]:7070'), '[::1]:7070');
    assert.equal(serverAddress('a@b/1@10.0.0.5:80'), '10.0.0.5:80', 'the last @ counts');
  });
  it('scrapes a server listening on every interface at its hostname', () => {
    assert.equal(serverAddress('box-3/99@0.0.0.0:7070'), 'box-3:7070');
    assert.equal(serverAddress('box-3/99@:7070'), 'box-3:7070');
    assert.equal(serverAddress('box-3/99@[::]:7070'), 'box-3:7070');
  });
  it('gives nothing for an identity without a usable address', () => {
    for (const id of ['just-a-name', 'h/1@127.0.0.1', 'h/1@127.0.0.1:0', 'h/1@127.0.0.1:99999', '@:7070']) assert.equal(serverAddress(id), undefined, id);
  });
});

describe('serverGroups', () => {
  it('one group per address, sorted, identity as a meta label; duplicates and unusable identities dropped', () => {
    assert.deepEqual(serverGroups(['b/2@127.0.0.1:7071', 'a/1@127.0.0.1:7070', 'c/3@127.0.0.1:7070', 'nonsense']), [
      { targets: ['127.0.0.1:7070'], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: 'a/1@127.0.0.1:7070' } },
      { targets: ['127.0.0.1:7071'], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: 'b/2@127.0.0.1:7071' } },
    ]);
  });
});

describe('agentGroups', () => {
  it("one group per agent address; a single node's name is a meta label, many nodes (a sim agent) are counted", () => {
    assert.deepEqual(agentGroups([node('n2', '127.0.0.1:9102'), node('sim-0001', '127.0.0.1:9200'), node('n1', '127.0.0.1:9101'), node('sim-0002', '127.0.0.1:9200')]), [
      { targets: ['127.0.0.1:9101'], labels: { __meta_stowage_role: 'agent', __meta_stowage_node: 'n1', __meta_stowage_node_count: '1' } },
      { targets: ['127.0.0.1:9102'], labels: { __meta_stowage_role: 'agent', __meta_stowage_node: 'n2', __meta_stowage_node_count: '1' } },
      { targets: ['127.0.0.1:9200'], labels: { __meta_stowage_role: 'agent', __meta_stowage_node_count: '2' } },
    ]);
  });
  it('leaves out nodes without an address or with one that is not host:port', () => {
    assert.deepEqual(agentGroups([node('a'), node('b', ''), node('c', 'http://x:1'), node('d', 'x y:1'), node('e', 'host')]), []);
  });
});

describe('parseRole', () => {
  it('server, agent, or both when absent', () => {
    assert.equal(parseRole('server'), 'server');
    assert.equal(parseRole('agent'), 'agent');
    assert.equal(parseRole(null), undefined);
    assert.equal(parseRole(''), undefined);
  });
  it('refuses anything else with a message naming the choices', () => {
    assert.throws(
      () => parseRole('etcd'),
      (e) => isApiError(e, 'BadRequest') && e.message === 'role: "etcd" is not a role; use server or agent (or leave it out for both)',
    );
  });
});
