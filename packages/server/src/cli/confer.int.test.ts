import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const cli = join(import.meta.dirname, 'confer.ts');

function confer(args: string[], env: Record<string, string>, input?: string) {
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], {
    env: { ...process.env, ...env, CONFER_DATABASE_URL: '' },
    input,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('confer: help on every command, users, tokens, audit verify, and config errors naming the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'confer-cli-'));
  const env = { CONFER_DATA_DIR: dir };
  try {
    assert.match(confer(['--help'], env).out, /Commands:[\s\S]*serve[\s\S]*token/);
    for (const cmd of ['serve', 'migrate', 'user', 'token', 'audit']) {
      const r = confer([cmd, '--help'], env);
      assert.equal(r.code, 0, cmd);
      assert.match(r.out, new RegExp(`confer ${cmd}`));
    }
    assert.match(confer(['frobnicate'], env).err, /unknown command "frobnicate"/);

    assert.match(confer(['migrate'], env).out, /applied|up to date/);
    const added = confer(['user', 'add', 'dr.lee', '--role', 'radiologist'], env);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /password \(shown once\): \S{16}/);
    const piped = confer(
      ['user', 'add', 'ops', '--role', 'coordinator', '--password-stdin'],
      env,
      'a-long-passphrase\n',
    );
    assert.equal(piped.code, 0, piped.err);
    assert.doesNotMatch(piped.out, /passphrase/);
    assert.match(confer(['user', 'add', 'xy', '--role', 'wizard'], env).err, /unknown role "wizard"/);
    assert.match(confer(['user', 'add', 'dr.lee', '--role', 'radiologist'], env).err, /already exists/);
    assert.match(confer(['user', 'list'], env).out, /dr\.lee\tradiologist[\s\S]*ops\tcoordinator/);

    const token = confer(['token', 'create', 'bridge', '--user', 'ops', '--expires-days', '30'], env);
    assert.match(token.out, /cft_[A-Za-z0-9_-]{40,}/);
    assert.match(confer(['token', 'list'], env).out, /bridge\tops\tcft_/);
    assert.match(confer(['token', 'revoke', '1'], env).out, /revoked/);
    assert.match(confer(['token', 'list'], env).out, /revoked/);
    assert.equal(confer(['audit', 'verify'], env).code, 0);

    const bad = confer(['migrate'], { ...env, CONFER_HTTP_PORT: '99999' });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /configuration error: CONFER_HTTP_PORT: expected a TCP port number/);
    writeFileSync(join(dir, 'confer.json'), '{"sites": [{"id": "Bad Id"}]}');
    assert.match(confer(['migrate'], env).err, /sites\[0\]\.id: expected lower-case letters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
