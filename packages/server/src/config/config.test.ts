import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

const empty = () => mkdtempSync(join(tmpdir(), 'confer-config-'));

test('defaults: loopback, embedded store, the IANA DICOM port', () => {
  const c = loadConfig({ CONFER_DATA_DIR: empty() });
  assert.equal(c.bindAddress, '127.0.0.1');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dicomPort, 11112);
  assert.equal(c.aeTitle, 'CONFER');
});

test('environment overrides the file, and each bad value names its key and the expected form', () => {
  const dir = empty();
  writeFileSync(join(dir, 'confer.json'), JSON.stringify({ httpPort: 9000, aeTitle: 'HUB' }));
  const c = loadConfig({ CONFER_DATA_DIR: dir, CONFER_HTTP_PORT: '9100' });
  assert.equal(c.httpPort, 9100);
  assert.equal(c.aeTitle, 'HUB');
  assert.throws(
    () => loadConfig({ CONFER_DATA_DIR: dir, CONFER_DICOM_PORT: 'eleven' }),
    (e: unknown) => e instanceof ConfigError && /CONFER_DICOM_PORT: expected a TCP port/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ CONFER_DATA_DIR: dir, CONFER_AE_TITLE: 'A_TITLE_FAR_TOO_LONG' }),
    /CONFER_AE_TITLE: expected an AE title/,
  );
  assert.throws(
    () => loadConfig({ CONFER_DATA_DIR: dir, CONFER_DATABASE_URL: 'mysql://x' }),
    /CONFER_DATABASE_URL: expected a postgres/,
  );
  writeFileSync(join(dir, 'confer.json'), JSON.stringify({ httpPrt: 1 }));
  assert.throws(() => loadConfig({ CONFER_DATA_DIR: dir }), /httpPrt: is not a setting Confer knows/);
});

test('sites: AE titles are unique across sites and time zones are real', () => {
  const dir = empty();
  const site = { id: 'north', name: 'North', aeTitles: ['CT1'], timeZone: 'Europe/Oslo' };
  assert.equal(loadConfig({ CONFER_DATA_DIR: dir }, { sites: [site] }).sites[0]?.timeZone, 'Europe/Oslo');
  assert.throws(
    () => loadConfig({ CONFER_DATA_DIR: dir }, { sites: [site, { ...site, id: 'south' }] }),
    /AE title "CT1" is already used by site north/,
  );
  assert.throws(
    () => loadConfig({ CONFER_DATA_DIR: dir }, { sites: [{ ...site, timeZone: 'Mars/Base' }] }),
    /IANA time zone/,
  );
});
