import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config.ts';
import {
  defaultReportDelivery,
  validateReportDelivery,
  validateReportDestinations,
} from './delivery-config.ts';

function configWith(doc: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'confer-delivery-config-'));
  writeFileSync(join(dir, 'confer.json'), JSON.stringify(doc));
  return loadConfig({ CONFER_DATA_DIR: dir });
}

const ris = {
  id: 'main-ris',
  type: 'hl7-mllp',
  host: 'ris.example.org',
  port: 2575,
  receivingApplication: 'RIS',
  receivingFacility: 'NORTHVALE',
};

test('no destinations and the default retry settings when nothing is configured', () => {
  const c = configWith({});
  assert.deepEqual(c.reportDestinations, []);
  assert.deepEqual(c.reportDelivery, defaultReportDelivery);
});

test('HL7 and FHIR destinations and retry settings load from confer.json', () => {
  const c = configWith({
    sites: [{ id: 'northvale-hub', name: 'Northvale', aeTitles: ['NV'] }],
    reportDestinations: [
      { ...ris, sites: ['northvale-hub'], kinds: ['final', 'addendum'], ackTimeoutMs: 5000 },
      { id: 'ehr', type: 'fhir', baseUrl: 'https://ehr.example.org/fhir/', bearerToken: 't' },
    ],
    reportDelivery: { maxAttempts: 5, retryDelaysMs: [1000, 5000], sendingFacility: 'CONFER-NV' },
  });
  assert.equal(c.reportDestinations.length, 2);
  assert.deepEqual(c.reportDestinations[0]!.kinds, ['final', 'addendum']);
  assert.equal(
    c.reportDestinations[1]!.type === 'fhir' && c.reportDestinations[1]!.baseUrl,
    'https://ehr.example.org/fhir',
  );
  assert.equal(c.reportDelivery.maxAttempts, 5);
  assert.deepEqual(c.reportDelivery.retryDelaysMs, [1000, 5000]);
  assert.equal(c.reportDelivery.ackTimeoutMs, defaultReportDelivery.ackTimeoutMs);
});

test('errors name the key: a bad port, an unknown key, an unknown kind, a site nobody configured', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ reportDestinations: [{ ...ris, port: 70000 }] }, 'reportDestinations[0].port', /1 to 65535/],
    [{ reportDestinations: [{ ...ris, hots: 'x' }] }, 'reportDestinations[0].hots', /not a setting/],
    [
      { reportDestinations: [{ ...ris, kinds: ['draft'] }] },
      'reportDestinations[0].kinds',
      /preliminary, final, addendum/,
    ],
    [{ reportDestinations: [ris, ris] }, 'reportDestinations[1].id', /listed twice/],
    [{ reportDestinations: [{ ...ris, type: 'smtp' }] }, 'reportDestinations[0].type', /hl7-mllp.*fhir/],
    [
      { reportDestinations: [{ ...ris, receivingFacility: 'A|B' }] },
      'reportDestinations[0].receivingFacility',
      /without/,
    ],
    [
      { sites: [{ id: 'a', name: 'A', aeTitles: ['A'] }], reportDestinations: [{ ...ris, sites: ['b'] }] },
      'reportDestinations[0].sites',
      /no site "b"/,
    ],
    [{ reportDelivery: { maxAttemps: 3 } }, 'reportDelivery.maxAttemps', /not a setting/],
    [{ reportDelivery: { retryDelaysMs: [] } }, 'reportDelivery.retryDelaysMs', /non-empty list/],
    [{ reportDelivery: { leaseMs: 5000 } }, 'reportDelivery.leaseMs', /must exceed/],
  ];
  for (const [doc, key, message] of cases) {
    assert.throws(
      () => configWith(doc),
      (e: unknown) => e instanceof ConfigError && e.key === key && message.test(e.message),
      `${key} ${JSON.stringify(doc)}`,
    );
  }
});

test('the validators accept overrides directly (tests, the demo)', () => {
  assert.equal(validateReportDestinations([ris])[0]!.id, 'main-ris');
  assert.equal(validateReportDelivery({ maxAttempts: 2 }).maxAttempts, 2);
});
