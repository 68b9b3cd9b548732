import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AckMethod, CriticalCommand, CriticalResult } from './model.ts';
import { applyCriticalCommand, criticalTimer, flagCriticalResult } from './protocol.ts';

const T0 = Date.parse('2026-11-24T08:00:00.000Z');
const MIN = 60_000;
const people = ['dr.clinician', 'dr.backup', 'dr.dept', 'dr.chief', 'coord', 'dr.stranger'];
const person = fc.constantFrom(...people);
const channels = fc.subarray(['app', 'webhook', 'email'] as const, { minLength: 1 });
const recipient = fc.record({ username: person, channels });

const flag = fc.record({
  deadlineMs: fc.integer({ min: 1, max: 120 }).map((m) => m * MIN),
  responsible: recipient,
  ladder: fc.array(
    fc.record({
      name: fc.constantFrom('Backup', 'Department', 'Supervisor'),
      waitMs: fc.integer({ min: 1, max: 60 }).map((m) => m * MIN),
      recipients: fc.array(recipient, { maxLength: 3 }),
    }),
    { maxLength: 4 },
  ),
});

/** `@step` stands for the rung the result is on when the command runs, so timers usually match. */
const command: fc.Arbitrary<CriticalCommand | { type: 'escalate'; step: '@step' }> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ type: 'escalate' as const, step: '@step' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('escalate' as const), step: fc.integer({ min: 0, max: 5 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('delivery' as const),
      communicationId: fc.integer({ min: 1, max: 20 }).map((n) => `CR-1/${n}`),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('open' as const),
      communicationId: fc.integer({ min: 1, max: 20 }).map((n) => `CR-1/${n}`),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        by: person,
        method: fc.constantFrom<AckMethod>('app', 'link', 'phone'),
        coordinator: fc.boolean(),
      })
      .map(({ by, method, coordinator }) => ({
        type: 'acknowledge' as const,
        by,
        method,
        recordedBy: coordinator ? 'coord' : by,
      })),
  },
);

const run = fc.record({
  flag,
  steps: fc.array(fc.record({ command, advanceMs: fc.integer({ min: 0, max: 90 * MIN }) }), {
    maxLength: 40,
  }),
});

test('critical results: acknowledged only with a receipt, the ladder only moves forward, every notification is recorded, deadlines never move back', () => {
  fc.assert(
    fc.property(run, ({ flag: f, steps }) => {
      const flagged = flagCriticalResult(
        {
          id: 'CR-1',
          caseId: 'C-1',
          siteId: null,
          category: 'critical',
          finding: 'Tension pneumothorax',
          flaggedBy: 'dr.reader',
          responsibleSource: 'case',
          ...f,
        },
        T0,
      );
      let r: CriticalResult = flagged.result;
      let now = T0;
      const dueAt = r.dueAt;
      for (const { command: raw, advanceMs } of steps) {
        now += advanceMs;
        const cmd: CriticalCommand =
          raw.type === 'escalate' && raw.step === '@step'
            ? { ...raw, step: r.step }
            : (raw as CriticalCommand);
        const before = r;
        const applied = applyCriticalCommand(r, cmd, now);
        if (!applied.ok) {
          assert.match(applied.code, /^CONFER_ERR_CRITICAL_/);
          continue;
        }
        r = applied.result;
        // The ladder only moves forward, and a rung's deadline only later.
        assert.ok(r.step >= before.step);
        assert.ok(r.stepDueAt >= before.stepDueAt);
        assert.ok(r.step < r.rungs.length);
        assert.equal(r.dueAt, dueAt);
        // Records are appended, never dropped or rewritten in who/when/how.
        assert.ok(r.communications.length >= before.communications.length);
        before.communications.forEach((c, i) => {
          const now2 = r.communications[i]!;
          assert.deepEqual(
            [now2.id, now2.recipient, now2.channel, now2.at, now2.sentBy],
            [c.id, c.recipient, c.channel, c.at, c.sentBy],
          );
        });
        // Leaving "acknowledged" never happens.
        if (before.state === 'acknowledged') assert.equal(r.state, 'acknowledged');
        if (before.state === 'overdue') assert.notEqual(r.state, 'open');
        // Every rung reached has every recipient's channels recorded as communications.
        for (let s = 0; s <= r.step; s++) {
          for (const rec of r.rungs[s]!.recipients)
            for (const ch of rec.channels)
              assert.ok(
                r.communications.some(
                  (c) => c.step === s && c.recipient === rec.username && c.channel === ch,
                ),
                `rung ${s}: ${rec.username} by ${ch} has no communication record`,
              );
        }
      }
      // Never acknowledged without a receipt, and the receipt names someone who was addressed.
      if (r.state === 'acknowledged') {
        const a = r.acknowledgement;
        assert.ok(a, 'acknowledged without a receipt');
        assert.ok(a.at >= T0 && a.by !== '' && a.recordedBy !== '');
        assert.ok(r.communications.some((c) => c.recipient === a.by && c.acknowledgedAt === a.at));
        if (a.method !== 'phone') assert.equal(a.recordedBy, a.by);
      } else {
        assert.equal(r.acknowledgement, null);
      }
      assert.equal(criticalTimer(r) === null, r.state !== 'open');
    }),
    { numRuns: 400 },
  );
});
