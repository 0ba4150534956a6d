/**
 * Certificates, keys and CAs named by flags, read and checked once at start.
 * Every error names the flag and the file, e.g.
 *   --etcd-key: cannot read /x/key.pem: ENOENT (no such file or directory)
 *   --tls-key: /x/key.pem does not match the certificate in --tls-cert
 * so a bad path is a message at start, never a failed handshake later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';

/** A flag naming a file that is missing, unreadable or not what it should be. */
export class TlsFlagError extends RangeError {
  override name = 'TlsFlagError';
}

const why = (e: unknown): string => {
  const c = (e as NodeJS.ErrnoException)?.code;
  const m = e instanceof Error ? e.message : String(e);
  // "ENOENT: no such file or directory, open '/x'" -> "ENOENT (no such file or directory)": the path is said already
  return c ? `${c} (${m.replace(/^[A-Z_]+: /, '').replace(/, \w+ '.*'$/, '')})` : m;
};

function read(flag: string, path: string): Buffer {
  if (path.trim() === '') throw new TlsFlagError(`${flag}: a file path is required`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsFlagError(`${flag}: cannot read ${path}: ${why(e)}`);
  }
}

/** One or more PEM certificates (a CA bundle, or a certificate and its chain). */
export function readCertificates(flag: string, path: string): Buffer {
  const pem = read(flag, path);
  if (!/-----BEGIN CERTIFICATE-----/.test(pem.toString('latin1'))) {
    throw new TlsFlagError(`${flag}: ${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----")`);
  }
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw new TlsFlagError(`${flag}: ${path} is not a readable certificate: ${why(e)}`);
  }
  return pem;
}

/** A PEM private key. */
export function readPrivateKey(flag: string, path: string): Buffer {
  const pem = read(flag, path);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem.toString('latin1'))) {
    throw new TlsFlagError(`${flag}: ${path} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----")`);
  }
  return pem;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/**
 * A certificate and its key given by two flags: both or neither. Checked
 * against each other here (Node says only "key values mismatch").
 */
export function readKeyPair(certFlag: string, keyFlag: string, certPath: string | undefined, keyPath: string | undefined): KeyPair | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (keyPath === undefined) throw new TlsFlagError(`${keyFlag}: required with ${certFlag} (the private key of that certificate)`);
  if (certPath === undefined) throw new TlsFlagError(`${certFlag}: required with ${keyFlag} (the certificate of that key)`);
  const cert = readCertificates(certFlag, certPath);
  const key = readPrivateKey(keyFlag, keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    const m = why(e);
    if (/mismatch/i.test(m)) throw new TlsFlagError(`${keyFlag}: ${keyPath} does not match the certificate in ${certFlag} (${certPath})`);
    throw new TlsFlagError(`${keyFlag}: ${keyPath} cannot be used with ${certFlag} ${certPath}: ${m}`);
  }
  return { cert, key };
}
