import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reportOldestRetry, serverRegistry } from './metrics.js';

const scrape = async () => (await serverRegistry.getSingleMetricAsString('stowage_workqueue_oldest_retry_seconds')).split('\n').filter((l) => !l.startsWith('#'));

describe('stowage_workqueue_oldest_retry_seconds', () => {
  it('reads each running controller at scrape time, the max per controller, and forgets a stopped one', async () => {
    let age = 1.5;
    const stopA = reportOldestRetry('services', () => age);
    const stopB = reportOldestRetry('scheduler', () => 0);
    const stopC = reportOldestRetry('services', () => 0.25); // a second queue under the same name
    assert.deepEqual(await scrape(), ['stowage_workqueue_oldest_retry_seconds{controller="services"} 1.5', 'stowage_workqueue_oldest_retry_seconds{controller="scheduler"} 0']);
    age = 70;
    assert.deepEqual((await scrape())[0], 'stowage_workqueue_oldest_retry_seconds{controller="services"} 70', 'read live, not at report time');
    stopA();
    stopB();
    assert.deepEqual(await scrape(), ['stowage_workqueue_oldest_retry_seconds{controller="services"} 0.25']);
    stopC();
    assert.deepEqual(await scrape(), []);
  });
});
