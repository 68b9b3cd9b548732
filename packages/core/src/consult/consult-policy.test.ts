import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  consultDueAt,
  consultTimers,
  defaultConsultPolicy,
  validateConsultPolicy,
} from './consult-policy.ts';

const T0 = Date.parse('2026-03-10T14:00:00Z');

test('a consult has an expiry at its target and a timer per escalation step, in time order', () => {
  const timers = consultTimers(defaultConsultPolicy, 'stat', T0);
  assert.deepEqual(timers, [
    { dueAt: T0 + 15 * 60_000, stepIndex: 0, action: 'remind' },
    { dueAt: T0 + 30 * 60_000, stepIndex: -1, action: 'expire' },
    { dueAt: T0 + 45 * 60_000, stepIndex: 1, action: 'notify-coordinators' },
  ]);
  assert.equal(consultDueAt(defaultConsultPolicy, 'routine', T0), T0 + 1440 * 60_000);
});

test('the policy from a config file: defaults fill gaps, every problem has its path', () => {
  const ok = validateConsultPolicy({ targetMinutes: { stat: 20 } });
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.equal(ok.policy.targetMinutes.stat, 20);
    assert.equal(ok.policy.targetMinutes.routine, 1440);
  }
  assert.ok(validateConsultPolicy(undefined).ok);
  const bad = validateConsultPolicy({
    targetMinutes: { stat: -1, soon: 5 },
    escalation: [{ atFraction: 0.5, action: 'shout' }],
    extra: 1,
  });
  assert.equal(bad.ok, false);
  if (!bad.ok)
    assert.deepEqual(
      bad.errors.map((e) => e.path),
      [
        'consults.extra',
        'consults.targetMinutes.stat',
        'consults.targetMinutes.soon',
        'consults.escalation[0].action',
      ],
    );
});
