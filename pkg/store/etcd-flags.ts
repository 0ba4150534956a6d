/**
 * The flags every process that opens etcd takes (`stowage server`, and
 * `stowage agent` in its --etcd mode), checked up front:
 *
 *   --etcd https://127.0.0.1:2379          endpoints (https:// for TLS)
 *   --etcd-ca F                            the CA that signed etcd's certificate
 *   --etcd-cert F --etcd-key F             this client's certificate (etcd's --client-cert-auth)
 *   --etcd-user U --etcd-password P        etcd's own users (or $STOWAGE_ETCD_PASSWORD)
 *
 * The key is read here, by this process only, and goes nowhere but into the
 * gRPC channel: never into a task, a log line or an error message.
 */
import { Option, type Command } from 'commander';
import { readCertificates, readKeyPair, TlsFlagError } from '../tls/files.js';
import { parseEndpoints, type EtcdOptions } from './etcd.js';

export interface RawEtcdFlags {
  etcd?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPassword?: string;
}

/** Add the TLS and user flags (not --etcd itself, whose default and text differ per command). */
export function addEtcdSecurityOptions(cmd: Command): Command {
  return cmd
    .option('--etcd-ca <file>', "PEM CA that signed etcd's certificate (https:// endpoints; default: the system's CAs)")
    .option('--etcd-cert <file>', "PEM client certificate for an etcd with --client-cert-auth (with --etcd-key)")
    .option('--etcd-key <file>', 'PEM private key of --etcd-cert (keep it readable by this user only)')
    .option('--etcd-user <name>', "an etcd user (etcd's auth enabled; with --etcd-password)")
    .addOption(new Option('--etcd-password <password>', 'the password of --etcd-user').env('STOWAGE_ETCD_PASSWORD'));
}

/** Endpoints, TLS material and user, read and checked; every error names its flag. */
export function parseEtcdFlags(raw: RawEtcdFlags): Pick<EtcdOptions, 'endpoints' | 'tls' | 'auth'> & { endpoints: string[] } {
  const endpoints = parseEndpoints(raw.etcd ?? '');
  const secure = endpoints.filter((e) => e.startsWith('https://'));
  if (secure.length > 0 && secure.length < endpoints.length) {
    throw new TlsFlagError(`--etcd: mixes http:// and https:// endpoints (${endpoints.join(',')}); use https:// for every member`);
  }
  const tlsFlag = raw.etcdCa !== undefined ? '--etcd-ca' : raw.etcdCert !== undefined ? '--etcd-cert' : raw.etcdKey !== undefined ? '--etcd-key' : undefined;
  if (tlsFlag && secure.length === 0) {
    throw new TlsFlagError(`${tlsFlag}: the endpoints in --etcd are plain http:// (${endpoints.join(',')}); give https:// endpoints to use TLS`);
  }
  const out: ReturnType<typeof parseEtcdFlags> = { endpoints };
  if (secure.length > 0) {
    const pair = readKeyPair('--etcd-cert', '--etcd-key', raw.etcdCert, raw.etcdKey);
    out.tls = {
      ...(raw.etcdCa !== undefined ? { ca: readCertificates('--etcd-ca', raw.etcdCa) } : {}),
      ...(pair ? { cert: pair.cert, key: pair.key } : {}),
    };
  }
  if (raw.etcdUser !== undefined || raw.etcdPassword !== undefined) {
    if (raw.etcdUser === undefined || raw.etcdUser.trim() === '') throw new TlsFlagError('--etcd-user: required with --etcd-password (or $STOWAGE_ETCD_PASSWORD)');
    if (raw.etcdPassword === undefined || raw.etcdPassword === '') throw new TlsFlagError(`--etcd-password: required with --etcd-user (or set $STOWAGE_ETCD_PASSWORD)`);
    out.auth = { username: raw.etcdUser, password: raw.etcdPassword };
  }
  return out;
}
