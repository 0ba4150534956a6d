import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { logLevelOption, parseLogLevel } from './level.js';

describe('--log-level', () => {
  it('takes error, warn, info and debug', () => {
    for (const l of ['error', 'warn', 'info', 'debug']) assert.equal(parseLogLevel(l), l);
  });
  it('refuses anything else, naming the flag and the levels allowed', () => {
    for (const bad of ['verbose', 'INFO', '', 'silly']) {
      assert.throws(() => parseLogLevel(bad, 'cli'), { name: 'RangeError', message: `--log-level: "${bad}" is not one of error, warn, info, debug` });
    }
  });
  it('names STOWAGE_LOG_LEVEL when the bad value came from it', () => {
    assert.throws(() => parseLogLevel('trace', 'env'), { message: '--log-level (from STOWAGE_LOG_LEVEL): "trace" is not one of error, warn, info, debug' });
  });

  const parse = (argv: string[], env: Record<string, string | undefined>) => {
    const saved = process.env.STOWAGE_LOG_LEVEL;
    if (env.STOWAGE_LOG_LEVEL === undefined) delete process.env.STOWAGE_LOG_LEVEL;
    else process.env.STOWAGE_LOG_LEVEL = env.STOWAGE_LOG_LEVEL;
    try {
      let got: { value: string; source: string | undefined } | undefined;
      const cmd = new Command('x').exitOverride().addOption(logLevelOption());
      cmd.action((o: { logLevel: string }, c: Command) => void (got = { value: o.logLevel, source: c.getOptionValueSource('logLevel') }));
      cmd.parse(argv, { from: 'user' });
      return got!;
    } finally {
      if (saved === undefined) delete process.env.STOWAGE_LOG_LEVEL;
      else process.env.STOWAGE_LOG_LEVEL = saved;
    }
  };
  it('defaults to info, else STOWAGE_LOG_LEVEL; the flag wins over both', () => {
    assert.deepEqual(parse([], {}), { value: 'info', source: 'default' });
    assert.deepEqual(parse([], { STOWAGE_LOG_LEVEL: 'debug' }), { value: 'debug', source: 'env' });
    assert.deepEqual(parse(['--log-level', 'warn'], { STOWAGE_LOG_LEVEL: 'debug' }), { value: 'warn', source: 'cli' });
  });
});
