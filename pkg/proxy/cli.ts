/**
 * `stowage proxy`: flags -> an endpoints watch on the server feeding the
 * service-port listeners, and (with --listen) /metrics and /healthz. Runs
 * until SIGTERM/SIGINT. A bad flag prints `error: --flag: ...` and exits 2;
 * a --listen address it cannot bind exits 1. Nothing after start ends it:
 * a lost server is reconnected to, a taken service port is retried.
 */
import type { Command } from 'commander';
import { logLevelOption } from '../log/level.js';
import { errMsg, newLogger } from '../log/logger.js';
import { collectProxyDefaults } from '../metrics/proxy.js';
import { ProxyFlagError, parseProxyFlags, type RawProxyFlags } from './flags.js';
import { startProxyHttp, type ProxyHttp } from './http.js';
import { Proxy } from './proxy.js';
import { EndpointsWatch } from './watch.js';

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('listen on 127.0.0.1:<servicePort> for every service port and forward connections to its ready instances')
    .option('--server <url>', 'the API server (default: $STOWAGE_SERVER or http://127.0.0.1:7070)')
    .option('--server-ca <file>', 'PEM CA to verify an https:// server against (default: the system CAs)')
    .option('--token-file <file>', 'a file holding the API token (a server with --tokens asks for one)')
    .option('--listen <host:port>', 'address serving /metrics and /healthz (default: none)')
    .option('--balance <strategy>', 'round-robin or least-connections', 'round-robin')
    .addOption(logLevelOption())
    .action(async (raw: RawProxyFlags, cmd: Command) => {
      let config;
      try {
        config = parseProxyFlags({ ...raw, logLevelSource: cmd.getOptionValueSource('logLevel') }, process.env);
      } catch (e) {
        if (!(e instanceof ProxyFlagError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        process.exit(2);
      }
      const log = newLogger({ component: 'proxy', level: config.logLevel });
      collectProxyDefaults();
      const proxy = new Proxy({ strategy: config.balance, log });
      const watch = new EndpointsWatch({ server: config.server, ...(config.serverCa ? { ca: config.serverCa } : {}), ...(config.tokenFile ? { tokenFile: config.tokenFile } : {}), log, onChange: (state) => proxy.apply(state.values()) });
      let http: ProxyHttp | undefined;
      if (config.listen) {
        try {
          http = await startProxyHttp({ ...config.listen, log, synced: () => watch.synced });
        } catch (e) {
          process.stderr.write(`error: --listen: cannot listen on ${raw.listen}: ${errMsg(e)}\n`);
          process.exit(1);
        }
      }
      watch.start();
      log.info('proxy started', { server: config.server.origin, balance: config.balance, listen: http?.address ?? null });
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info('stopping', { signal });
        const force = setTimeout(() => process.exit(0), 3000);
        await watch.stop().catch(() => undefined);
        proxy.close();
        await http?.close().catch(() => undefined);
        clearTimeout(force);
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
