/** A test fixture for a whole describe(): started before its tests, stopped after them. */
import { after, before } from 'node:test';

/** The object start() resolves to; its fields are filled in by the time the tests run. */
export function use<T extends { stop(): unknown }>(start: () => Promise<T>): T {
  const it = {} as T;
  before(async () => {
    Object.assign(it, await start());
  });
  after(() => (it as Partial<T>).stop?.());
  return it;
}
