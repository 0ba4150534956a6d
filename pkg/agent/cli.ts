/**
 * `stowage agent`: flags -> AgentConfig -> a running Agent, until SIGTERM or
 * SIGINT (then a graceful stop: lease revoked, containers left running).
 * A bad flag prints `error: --flag: what is wrong` and exits 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { logLevelOption, parseLogLevel, type LogLevel } from '../log/level.js';
import { errMsg, newLogger } from '../log/logger.js';
import { agentRegistry, collectDefaults } from '../metrics/metrics.js';
import { Agent } from './agent.js';
import { FlagError, parseAgentFlags, DEFAULT_NOFILE_LIMIT, DEFAULT_NPROC_LIMIT, DEFAULT_PORTS, type RawAgentFlags } from './flags.js';
import { driverOptions } from './runtimes.js';
import { addEtcdSecurityOptions, parseEtcdFlags } from '../store/etcd-flags.js';
import { readCertificates, readKeyPair } from '../tls/files.js';
import { loadSecretsKey, SecretKeyError, type SecretCipher } from '../secrets/cipher.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** The token in --token-file (surrounding whitespace dropped); never printed. */
function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FlagError(`--token-file: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? errMsg(e)}`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new FlagError(`--token-file: ${path} ${token === '' ? 'is empty' : 'holds more than one word'}; it must hold the token alone`);
  return token;
}

/** The etcd credential flags, refused beside --server. */
const ETCD_SECURITY_FLAGS = [
  { key: 'etcdCa', flag: '--etcd-ca' },
  { key: 'etcdCert', flag: '--etcd-cert' },
  { key: 'etcdKey', flag: '--etcd-key' },
  { key: 'etcdUser', flag: '--etcd-user' },
] as const;

export function registerAgentCommand(program: Command): void {
  const cmd = program
    .command('agent')
    .description('run the tasks bound to this node as containers and report what happens to them')
    .option('--server <urls>', "the servers' URLs, comma-separated: the agent talks to their agent API (tried in order when one is down)")
    .option('--token-file <path>', 'with --server: a file holding the token to send (role node, user = the node name; admin for hollow nodes)')
    .option('--server-ca <file>', 'with --server https://...: PEM CA to verify the servers against (default: the system CAs)')
    .option('--etcd <urls>', 'etcd endpoints, comma-separated (https:// for TLS), for a cluster without tokens (instead of --server)');
  addEtcdSecurityOptions(cmd)
    .option('--node <name>', 'this node\'s name (also its "hostname" for constraints)')
    .option('--driver <driver>', 'docker, or sim for hollow nodes', 'docker')
    .option('--cpus <n>', 'cpus offered (default: all cores)')
    .option('--mem <MiB>', 'memory offered in MiB (default: all memory)')
    .option('--disk <MiB>', "disk offered in MiB (default: free space of Docker's data root)")
    .option('--ports <ranges>', 'host port ranges tasks get ports from', DEFAULT_PORTS)
    .option('--attr <key=value>', 'an attribute for placement constraints (repeatable)', collect, [])
    .option('--listen <host:port>', 'address serving task logs, /metrics and /healthz', '127.0.0.1:0')
    .option('--tls-cert <file>', 'serve the --listen endpoint over HTTPS with this PEM certificate (with --tls-key; give servers --agent-ca)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--advertise-host <host>', 'host the cluster reaches the agent and its tasks at (HOST in task env)')
    .option('--heartbeat-ttl <seconds>', 'TTL of the heartbeat lease', '5')
    .option('--stop-after-disconnect <seconds|off>', "cut off from the cluster for the heartbeat TTL plus this long, stop every hosted task's container (default: the servers' --node-lost-grace; on --etcd 10)")
    .option('--pids-limit <n>', 'process limit of each container', '1024')
    .option('--nofile-limit <n>', 'open files limit (ulimit nofile) of each container; 0: the engine\'s default', String(DEFAULT_NOFILE_LIMIT))
    .option('--nproc-limit <n>', 'ulimit nproc of each container (counted per user ID across the host); 0: the engine\'s default', String(DEFAULT_NPROC_LIMIT))
    .option('--usage-interval <seconds>', 'sample each running container\'s cpu and memory use this often (0: off)', '10')
    .option('--docker-socket <path>', 'Docker Engine socket (default: $DOCKER_HOST or /var/run/docker.sock)')
    .option('--secrets-key <file>', "the server's --secrets-key: opens Secrets encrypted at rest (32 random bytes, raw or base64)")
    .option('--nodes <n>', 'sim only: host this many hollow nodes in this process')
    .option('--node-prefix <prefix>', 'sim only: name hollow nodes <prefix>0001..', 'sim-')
    .addOption(logLevelOption())
    .action(async (raw: RawAgentFlags & { logLevel: string; secretsKey?: string }, cmd: Command) => {
      let config;
      let level: LogLevel;
      let token: string | undefined;
      let secretsCipher: SecretCipher | undefined;
      try {
        level = parseLogLevel(raw.logLevel, cmd.getOptionValueSource('logLevel'));
        config = parseAgentFlags(raw);
        if (config.tokenFile !== undefined) token = readToken(config.tokenFile);
        // the key files are read here, by the agent alone; tasks get none of it
        const etcdFlag = ETCD_SECURITY_FLAGS.find((f) => raw[f.key] !== undefined);
        if (config.servers.length > 0 && etcdFlag) throw new FlagError(`${etcdFlag.flag}: only with --etcd; an agent on --server holds no etcd credentials`);
        const etcd: Partial<ReturnType<typeof parseEtcdFlags>> = config.servers.length > 0 ? {} : parseEtcdFlags(raw);
        const tls = readKeyPair('--tls-cert', '--tls-key', raw.tlsCert, raw.tlsKey);
        const serverCa = raw.serverCa !== undefined ? readCertificates('--server-ca', raw.serverCa) : undefined;
        config = { ...config, ...(etcd.tls ? { etcdTls: etcd.tls } : {}), ...(etcd.auth ? { etcdAuth: etcd.auth } : {}), ...(tls ? { tls } : {}), ...(serverCa ? { serverCa } : {}) };
        if (raw.secretsKey !== undefined) secretsCipher = await loadSecretsKey(raw.secretsKey);
      } catch (e) {
        if (!(e instanceof FlagError || e instanceof RangeError || e instanceof SecretKeyError)) throw e;
        process.stderr.write(`error: ${errMsg(e)}\n`);
        process.exit(2);
      }
      const log = newLogger({ component: 'agent', level });
      collectDefaults(agentRegistry);
      const agent = new Agent({ config, log, ...(token !== undefined ? { token } : {}), ...driverOptions(config, log), ...(secretsCipher ? { secretsCipher } : {}) });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info('stopping', { signal });
        agent.stop().then(
          () => process.exit(0),
          (e) => {
            log.error('stop failed', { error: String(e) });
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await agent.start();
    });
}
