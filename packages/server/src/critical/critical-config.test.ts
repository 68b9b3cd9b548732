import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config/config.ts';
import { validateCriticalConfig } from './critical-config.ts';

test('defaults: ACR deadlines in minutes, hours and days; no ladder, no webhook, no SMTP', () => {
  const c = validateCriticalConfig(undefined);
  assert.deepEqual(c.deadlineMinutes, { critical: 60, urgent: 360, 'unexpected-significant': 4320 });
  assert.deepEqual(c.ladder, []);
  assert.equal(c.webhook, undefined);
  assert.equal(c.smtp, undefined);
});

test('errors name the key and say what is expected', () => {
  const bad: [unknown, RegExp][] = [
    [
      { deadlineMinutes: { critical: 0 } },
      /critical\.deadlineMinutes\.critical: expected a whole number of at least 1/,
    ],
    [{ deadlineMinutes: { severe: 5 } }, /: critical\.deadlineMinutes\.severe: is not a setting/],
    [{ ladder: [{ name: 'Backup', afterMinutes: 15 }] }, /: critical\.ladder\[0\]: a rung needs recipients/],
    [
      { ladder: [{ name: 'Dept', afterMinutes: 'soon', groups: ['ed'] }] },
      /critical\.ladder\[0\]\.afterMinutes/,
    ],
    [
      { ladder: [{ name: 'Dept', afterMinutes: 5, groups: ['ed'] }] },
      /critical\.ladder\[0\]\.groups\[0\]: no group "ed"/,
    ],
    [
      { webhook: { url: 'ftp://x', secret: 'a'.repeat(20) }, publicBaseUrl: 'https://c.test' },
      /critical\.webhook\.url/,
    ],
    [
      { webhook: { url: 'https://x.test/h', secret: 'short' }, publicBaseUrl: 'https://c.test' },
      /critical\.webhook\.secret/,
    ],
    [
      { smtp: { host: 'mail', from: 'not-an-address' }, publicBaseUrl: 'https://c.test' },
      /critical\.smtp\.from/,
    ],
    [{ smtp: { host: 'mail', from: 'confer@h.test' } }, /: critical\.publicBaseUrl/],
    [{ contacts: { 'dr.x': { email: 'nope' } } }, /: critical\.contacts\.dr\.x\.email/],
    [{ sites: { north: { defaultClinician: 'has space' } } }, /: critical\.sites\.north\.defaultClinician/],
  ];
  for (const [raw, message] of bad)
    assert.throws(() => validateCriticalConfig(raw), message, JSON.stringify(raw));
});

test('secrets and addresses may come from the environment', () => {
  const c = validateCriticalConfig(
    { smtp: { from: 'confer@h.test' } },
    {
      CONFER_CRITICAL_WEBHOOK_URL: 'https://hooks.h.test/critical',
      CONFER_CRITICAL_WEBHOOK_SECRET: 'from-the-environment-123',
      CONFER_SMTP_HOST: 'relay.h.test',
      CONFER_SMTP_PORT: '2525',
      CONFER_PUBLIC_BASE_URL: 'https://confer.h.test/',
    },
  );
  assert.deepEqual(c.webhook, {
    url: 'https://hooks.h.test/critical',
    secret: 'from-the-environment-123',
    timeoutMs: 10_000,
  });
  assert.deepEqual(c.smtp, { host: 'relay.h.test', port: 2525, from: 'confer@h.test', timeoutMs: 10_000 });
  assert.equal(c.publicBaseUrl, 'https://confer.h.test');
});

test('loadConfig reports a bad critical key as a ConfigError naming it', () => {
  assert.throws(
    () =>
      loadConfig({ CONFER_DATA_DIR: '/nonexistent-confer' }, { critical: { linkTtlMinutes: -1 } as never }),
    (e: Error & { key?: string }) => e.name === 'ConfigError' && e.key === 'critical.linkTtlMinutes',
  );
});

test('the demo: every demo site has the demo clinician and backup, and a three-rung ladder', async () => {
  const { demoCriticalConfig, demoSites } = await import('../cli/demo.ts');
  const sites = demoSites();
  const c = demoCriticalConfig(sites);
  assert.deepEqual(
    c.ladder.map((r) => r.name),
    ['Backup clinician', 'Emergency department', 'Clinical supervisor'],
  );
  for (const s of sites) assert.equal(c.sites[s.id]?.defaultClinician, 'dr.clinician');
  assert.equal(c.webhook, undefined);
  assert.equal(c.smtp, undefined);
});
