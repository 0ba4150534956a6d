/** What stowctl says when TLS fails: the server, the CA it was checked against, and what to do. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tlsProblem } from './client.js';

const err = (code: string, message: string) => Object.assign(new Error(message), { code });
const S = 'https://127.0.0.1:7070';

describe('tlsProblem', () => {
  it('names the CA a certificate failed against', () => {
    assert.equal(
      tlsProblem(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), S, { caSource: '--ca /x/ca.pem' }),
      `cannot verify the Stowage server at ${S} against the CA in --ca /x/ca.pem: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    assert.match(tlsProblem(err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), S, {})!, /against the system's CAs \(no CA given: stowctl login --ca FILE, or --ca FILE\)/);
    assert.match(tlsProblem(err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), S, {})!, /altnames/);
  });

  it('says when an https:// server does not speak TLS', () => {
    assert.match(tlsProblem(err('EPROTO', 'SSL routines::wrong version number'), S, {})!, /does not speak TLS .*is it plain http:\/\/\?$/);
  });

  it('leaves other network errors alone', () => {
    assert.equal(tlsProblem(err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7070'), S, {}), undefined);
    assert.equal(tlsProblem(err('EPROTO', 'x'), 'http://127.0.0.1:7070', {}), undefined);
  });
});
