/** SecretEnv for an agent that reads etcd itself (`stowage agent --etcd`, with `--secrets-key` when secrets are encrypted). */
import { lookupKind } from '../api/kinds.js';
import { secretRefsOf } from '../api/secrets.js';
import type { Secret, Task } from '../api/types.js';
import type { Store } from '../store/store.js';
import type { SecretCipher } from './cipher.js';
import { envOrThrow, resolveRefs, type SecretEnv } from './resolve.js';

const SECRETS = lookupKind('Secret')!;

export class StoreSecretEnv implements SecretEnv {
  constructor(
    private readonly store: Pick<Store, 'get'>,
    private readonly cipher: SecretCipher,
  ) {}

  async resolve(task: Task): Promise<Record<string, string>> {
    if (secretRefsOf(task.spec.env).length === 0) return {};
    const read = async (ns: string, name: string) => (await this.store.get<never>(SECRETS, ns, name))?.object as Secret | undefined;
    return envOrThrow(await resolveRefs(task, read, this.cipher), task);
  }
}
