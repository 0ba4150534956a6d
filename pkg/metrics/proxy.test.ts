import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { holdPortSeries, proxyErrors, proxyRegistry, releasePortSeries } from './proxy.js';

const series = async () => (await proxyRegistry.getSingleMetricAsString('stowage_proxy_errors_total')).split('\n').filter((l) => l.includes('service="web"'));

describe('proxy port series', () => {
  it('start at 0 for every reason, and go only when the last listener holding them lets go', async () => {
    const l = { namespace: 'default', service: 'web', port: 'http' };
    holdPortSeries(l);
    assert.equal((await series()).length, 6);
    assert.ok((await series()).every((s) => s.endsWith(' 0')));
    proxyErrors.inc({ ...l, reason: 'refused' });
    holdPortSeries(l); // the port renumbered: a second listener with the same labels
    releasePortSeries(l); // the old one retires
    assert.ok((await series()).includes('stowage_proxy_errors_total{namespace="default",service="web",port="http",reason="refused"} 1'), 'kept, not reset');
    releasePortSeries(l);
    assert.deepEqual(await series(), []);
  });
});
