import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SlaClass, SlaPolicy } from '../routing/model.ts';
import { resolveSlaClass, type SpanStatus, slaStatus, slaTimers, worstSlaState } from './sla.ts';

const MIN = 60_000;
const T = Date.parse('2026-11-24T10:00:00.000Z');

const stat: SlaClass = {
  id: 'stat',
  name: 'STAT',
  targets: [{ from: 'available', to: 'final', minutes: 60 }],
  escalation: [
    { atFraction: 0.5, action: 'alert' },
    { atFraction: 0.75, action: 'reassign' },
    { atFraction: 1.0, action: 'notify-supervisor' },
    { atFraction: 1.25, action: 'broaden' },
  ],
};

const routine: SlaClass = {
  id: 'routine',
  name: 'Routine',
  targets: [{ from: 'available', to: 'final', minutes: 24 * 60 }],
  escalation: [{ atFraction: 0.8, action: 'alert' }],
};
const stroke: SlaClass = {
  id: 'stroke',
  name: 'Stroke pathway',
  targets: [
    { from: 'available', to: 'opened', minutes: 10 },
    { from: 'available', to: 'preliminary', minutes: 20 },
  ],
  escalation: [{ atFraction: 0.5, action: 'alert' }],
};
const contract: SlaClass = { ...routine, id: 'partner-gold', name: 'Partner gold' };
const rule: SlaClass = { ...stat, id: 'ai-critical', name: 'AI critical' };

const policy: SlaPolicy = {
  classes: [stat, routine, stroke, contract, rule],
  byPriority: { stat: 'stat', urgent: 'stat', routine: 'routine' },
  byPathway: { stroke: 'stroke' },
};

test('resolveSlaClass: rule beats pathway beats contract beats priority', () => {
  const all: Parameters<typeof resolveSlaClass>[1] = {
    priority: 'routine',
    pathway: 'stroke',
    ruleSlaClass: 'ai-critical',
    contractSlaClass: 'partner-gold',
  };
  assert.equal(resolveSlaClass(policy, all).id, 'ai-critical');
  assert.equal(resolveSlaClass(policy, { ...all, ruleSlaClass: undefined }).id, 'stroke');
  assert.equal(
    resolveSlaClass(policy, { priority: 'routine', pathway: 'trauma', contractSlaClass: 'partner-gold' }).id,
    'partner-gold',
  );
  assert.equal(
    resolveSlaClass(policy, { priority: 'routine', contractSlaClass: 'partner-gold' }).id,
    'partner-gold',
  );
  assert.equal(resolveSlaClass(policy, { priority: 'urgent', pathway: 'trauma' }).id, 'stat');
  assert.equal(resolveSlaClass(policy, { priority: 'routine' }).id, 'routine');
  assert.equal(
    resolveSlaClass({ ...policy, byPathway: undefined }, { priority: 'stat', pathway: 'stroke' }).id,
    'stat',
  );
});

test('resolveSlaClass: an id that names no class is a clear error', () => {
  assert.throws(
    () => resolveSlaClass(policy, { priority: 'routine', ruleSlaClass: 'nope' }),
    /SLA class 'nope' \(from the routing rule\) is not defined; add it to sla\.classes/,
  );
  assert.throws(
    () =>
      resolveSlaClass(
        { ...policy, byPriority: { stat: 'x', urgent: 'x', routine: 'gone' } },
        { priority: 'routine' },
      ),
    /SLA class 'gone' \(from sla\.byPriority\.routine\) is not defined/,
  );
  assert.throws(
    () =>
      resolveSlaClass(
        { ...policy, byPathway: { stroke: 'gone' } },
        { priority: 'routine', pathway: 'stroke' },
      ),
    /from sla\.byPathway\.stroke/,
  );
});

function one(milestones: Record<string, number>, now: number): SpanStatus {
  const [s] = slaStatus(stat, milestones, now);
  return s!;
}

test('stat available->final 60 min: running, at risk from 30 min, breached from 60', () => {
  assert.deepEqual(one({ available: T }, T + 10 * MIN), {
    from: 'available',
    to: 'final',
    targetMinutes: 60,
    startedAt: T,
    dueAt: T + 60 * MIN,
    state: 'running',
    remainingMs: 50 * MIN,
    nextStep: { atFraction: 0.5, action: 'alert' },
  });
  assert.equal(one({ available: T }, T + 30 * MIN - 1).state, 'running');
  const atRisk = one({ available: T }, T + 30 * MIN);
  assert.equal(atRisk.state, 'at-risk');
  assert.equal(atRisk.remainingMs, 30 * MIN);
  assert.deepEqual(atRisk.nextStep, { atFraction: 0.75, action: 'reassign' });
  const late = one({ available: T }, T + 59 * MIN);
  assert.equal(late.state, 'at-risk');
  assert.deepEqual(late.nextStep, { atFraction: 1.0, action: 'notify-supervisor' });
  const breached = one({ available: T }, T + 60 * MIN);
  assert.equal(breached.state, 'breached');
  assert.equal(breached.remainingMs, 0);
  assert.deepEqual(breached.nextStep, { atFraction: 1.25, action: 'broaden' });
  const over = one({ available: T }, T + 80 * MIN);
  assert.equal(over.state, 'breached');
  assert.equal(over.remainingMs, -20 * MIN);
  assert.equal(over.nextStep, undefined);
});

test('met when final at or before the target, missed after it; completed spans carry no clock', () => {
  assert.deepEqual(one({ available: T, final: T + 59 * MIN }, T + 200 * MIN), {
    from: 'available',
    to: 'final',
    targetMinutes: 60,
    startedAt: T,
    dueAt: T + 60 * MIN,
    completedAt: T + 59 * MIN,
    state: 'met',
  });
  assert.equal(one({ available: T, final: T + 60 * MIN }, T + 200 * MIN).state, 'met');
  assert.equal(one({ available: T, final: T + 60 * MIN + 1 }, T + 200 * MIN).state, 'missed');
});

test('a span whose start is not reached has not started, whatever the time', () => {
  assert.deepEqual(one({ acquired: T }, T + 500 * MIN), {
    from: 'available',
    to: 'final',
    targetMinutes: 60,
    state: 'not-started',
  });
  assert.deepEqual(one({}, T), { from: 'available', to: 'final', targetMinutes: 60, state: 'not-started' });
  const [opened, prelim] = slaStatus(stroke, { available: T, opened: T + 4 * MIN }, T + 12 * MIN);
  assert.equal(opened!.state, 'met');
  assert.equal(prelim!.state, 'at-risk');
  assert.equal(prelim!.remainingMs, 8 * MIN);
});

test('a class without a ladder is never at risk, only breached', () => {
  const bare: SlaClass = { ...stat, escalation: [] };
  const [s] = slaStatus(bare, { available: T }, T + 59 * MIN);
  assert.equal(s!.state, 'running');
  assert.equal(s!.nextStep, undefined);
  assert.equal(slaStatus(bare, { available: T }, T + 60 * MIN)[0]!.state, 'breached');
  assert.deepEqual(slaTimers(bare, { available: T }), [
    { span: 'available->final', stepIndex: -1, dueAt: T + 60 * MIN },
  ]);
});

test('stat timers: one per step plus the breach, sorted by due time, breach first at a tie', () => {
  assert.deepEqual(slaTimers(stat, { acquired: T - 5 * MIN, available: T }), [
    { span: 'available->final', stepIndex: 0, action: 'alert', dueAt: T + 30 * MIN },
    { span: 'available->final', stepIndex: 1, action: 'reassign', dueAt: T + 45 * MIN },
    { span: 'available->final', stepIndex: -1, dueAt: T + 60 * MIN },
    { span: 'available->final', stepIndex: 2, action: 'notify-supervisor', dueAt: T + 60 * MIN },
    { span: 'available->final', stepIndex: 3, action: 'broaden', dueAt: T + 75 * MIN },
  ]);
});

test('timers: none before the span starts or after it completes; spans interleave by due time', () => {
  assert.deepEqual(slaTimers(stat, {}), []);
  assert.deepEqual(slaTimers(stat, { available: T, final: T + 10 * MIN }), []);
  assert.deepEqual(slaTimers(stroke, { available: T }), [
    { span: 'available->opened', stepIndex: 0, action: 'alert', dueAt: T + 5 * MIN },
    { span: 'available->opened', stepIndex: -1, dueAt: T + 10 * MIN },
    { span: 'available->preliminary', stepIndex: 0, action: 'alert', dueAt: T + 10 * MIN },
    { span: 'available->preliminary', stepIndex: -1, dueAt: T + 20 * MIN },
  ]);
  assert.deepEqual(slaTimers(stroke, { available: T, opened: T + MIN }), [
    { span: 'available->preliminary', stepIndex: 0, action: 'alert', dueAt: T + 10 * MIN },
    { span: 'available->preliminary', stepIndex: -1, dueAt: T + 20 * MIN },
  ]);
});

test('timers keep the class index of each step however the ladder is written', () => {
  const shuffled: SlaClass = { ...stat, escalation: [stat.escalation[3]!, stat.escalation[0]!] };
  assert.deepEqual(slaTimers(shuffled, { available: T }), [
    { span: 'available->final', stepIndex: 1, action: 'alert', dueAt: T + 30 * MIN },
    { span: 'available->final', stepIndex: -1, dueAt: T + 60 * MIN },
    { span: 'available->final', stepIndex: 0, action: 'broaden', dueAt: T + 75 * MIN },
  ]);
  // Fractions that do not divide a minute evenly still land on whole milliseconds.
  const odd: SlaClass = {
    ...stat,
    targets: [{ from: 'available', to: 'final', minutes: 7 }],
    escalation: [{ atFraction: 1 / 3, action: 'alert' }],
  };
  const [alert] = slaTimers(odd, { available: T });
  assert.equal(alert!.dueAt, T + 140_000);
  assert.equal(slaStatus(odd, { available: T }, T + 140_000 - 1)[0]!.state, 'running');
  assert.equal(slaStatus(odd, { available: T }, T + 140_000)[0]!.state, 'at-risk');
});

test('property: timers are sorted, and status agrees with the timers that have fired', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 * MIN }), (elapsed) => {
      const now = T + elapsed;
      const timers = slaTimers(stat, { available: T });
      for (let i = 1; i < timers.length; i++) assert.ok(timers[i - 1]!.dueAt <= timers[i]!.dueAt);
      const fired = timers.filter((t) => t.dueAt <= now);
      const [s] = slaStatus(stat, { available: T }, now);
      const expected = fired.some((t) => t.stepIndex === -1)
        ? 'breached'
        : fired.length > 0
          ? 'at-risk'
          : 'running';
      assert.equal(s!.state, expected);
      const pending = timers.find((t) => t.dueAt > now && t.stepIndex >= 0);
      assert.equal(s!.nextStep, pending === undefined ? undefined : stat.escalation[pending.stepIndex]);
    }),
  );
});

test('worstSlaState: breached (or missed) beats at risk beats ok', () => {
  const at = (state: SpanStatus['state']): SpanStatus => ({
    from: 'available',
    to: 'final',
    targetMinutes: 60,
    state,
  });
  assert.equal(worstSlaState([]), 'ok');
  assert.equal(worstSlaState([at('running'), at('met'), at('not-started')]), 'ok');
  assert.equal(worstSlaState([at('running'), at('at-risk')]), 'at-risk');
  assert.equal(worstSlaState([at('at-risk'), at('breached')]), 'breached');
  assert.equal(worstSlaState([at('missed'), at('running')]), 'breached');
});
