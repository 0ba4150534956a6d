/**
 * A leader-election candidate in its own process, so a test can kill -9 it:
 *   node --import tsx test/helpers/candidate.ts ENDPOINT IDENTITY TTL
 * Prints one JSON line {"fence": ...} each time it is elected.
 */
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';

const [endpoint, identity, ttl] = process.argv.slice(2);
const e = new Election(newEtcdClient({ endpoints: endpoint! }), { ttl: Number(ttl ?? 2), identity: identity! }, nopLogger);
e.on('elected', (fence) => process.stdout.write(`${JSON.stringify({ fence })}\n`));
await e.start();
