import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CriticalResult } from './model.ts';
import {
  applyCriticalCommand,
  criticalTimeLeftMs,
  criticalTimer,
  decideCritical,
  type FlagCriticalInput,
  flagCriticalResult,
} from './protocol.ts';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;

function input(over: Partial<FlagCriticalInput> = {}): FlagCriticalInput {
  return {
    id: 'CR-1',
    caseId: 'C-1',
    siteId: 'north',
    category: 'critical',
    finding: 'Large left MCA territory infarct with midline shift',
    flaggedBy: 'dr.reader',
    responsible: { username: 'dr.clinician', channels: ['app', 'email'] },
    responsibleSource: 'case',
    deadlineMs: 30 * MIN,
    ladder: [
      {
        name: 'Backup clinician',
        waitMs: 15 * MIN,
        recipients: [{ username: 'dr.backup', channels: ['app'] }],
      },
      { name: 'Department', waitMs: 15 * MIN, recipients: [] },
      {
        name: 'Supervisor',
        waitMs: 10 * MIN,
        recipients: [
          { username: 'dr.chief', channels: ['app', 'webhook'] },
          { username: 'dr.deputy', channels: ['app'] },
        ],
      },
    ],
    ...over,
  };
}

function ok(r: CriticalResult, command: Parameters<typeof applyCriticalCommand>[1], now: number) {
  const a = applyCriticalCommand(r, command, now);
  assert.ok(a.ok, a.ok ? '' : `${a.code}: ${a.message}`);
  return a;
}

test('flagging notifies the responsible clinician on each of their channels and starts the deadline', () => {
  const { result, events } = flagCriticalResult(input(), T0);
  assert.equal(result.state, 'open');
  assert.equal(result.dueAt, T0 + 30 * MIN);
  assert.equal(result.stepDueAt, T0 + 30 * MIN);
  assert.deepEqual(
    events.map((e) => e.type),
    ['critical:flagged', 'critical:communicated', 'critical:communicated'],
  );
  assert.deepEqual(
    result.communications.map((c) => [c.id, c.channel, c.recipient, c.sentBy, c.status]),
    [
      ['CR-1/1', 'app', 'dr.clinician', 'dr.reader', 'delivered'],
      ['CR-1/2', 'email', 'dr.clinician', 'dr.reader', 'pending'],
    ],
  );
  // The empty department rung is dropped: escalation never stops at a rung that reaches nobody.
  assert.deepEqual(
    result.rungs.map((r) => r.name),
    ['Responsible clinician', 'Backup clinician', 'Supervisor'],
  );
  assert.deepEqual(criticalTimer(result), { step: 0, dueAt: T0 + 30 * MIN });
  assert.equal(result.version, events.length);
});

test('flagging refuses an empty finding and non-positive waits', () => {
  assert.throws(() => flagCriticalResult(input({ finding: '  ' }), T0), /finding/);
  assert.throws(() => flagCriticalResult(input({ deadlineMs: 0 }), T0), /deadline/);
});

test('the ladder: backup after the deadline, then the supervisor, then overdue', () => {
  let r = flagCriticalResult(input(), T0).result;
  const early = decideCritical(r, { type: 'escalate', step: 0 }, T0 + 29 * MIN);
  assert.equal(early.ok, false);
  const a = ok(r, { type: 'escalate', step: 0 }, T0 + 30 * MIN);
  r = a.result;
  assert.equal(r.step, 1);
  assert.equal(r.stepDueAt, T0 + 45 * MIN);
  assert.deepEqual(
    r.communications.slice(2).map((c) => [c.recipient, c.channel, c.sentBy]),
    [['dr.backup', 'app', 'confer']],
  );
  // The same timer firing again (another node, a retry) changes nothing.
  assert.deepEqual(decideCritical(r, { type: 'escalate', step: 0 }, T0 + 31 * MIN), { ok: true, events: [] });
  // Fired late (Confer was down): the supervisor still gets a whole wait from when they are told.
  r = ok(r, { type: 'escalate', step: 1 }, T0 + 60 * MIN).result;
  assert.equal(r.step, 2);
  assert.equal(r.stepDueAt, T0 + 70 * MIN);
  assert.equal(r.communications.filter((c) => c.step === 2).length, 3);
  r = ok(r, { type: 'escalate', step: 2 }, T0 + 70 * MIN).result;
  assert.equal(r.state, 'overdue');
  assert.equal(r.overdueAt, T0 + 70 * MIN);
  assert.equal(criticalTimer(r), null);
  assert.equal(criticalTimeLeftMs(r, T0 + 75 * MIN), -5 * MIN);
  // Overdue is still acknowledgeable, by anyone addressed.
  r = ok(
    r,
    { type: 'acknowledge', by: 'dr.clinician', method: 'app', recordedBy: 'dr.clinician' },
    T0 + 80 * MIN,
  ).result;
  assert.equal(r.state, 'acknowledged');
  assert.equal(criticalTimeLeftMs(r, T0 + 80 * MIN), null);
});

test('acknowledging: only recipients, only once, with a receipt on their communications', () => {
  const r = flagCriticalResult(input(), T0).result;
  const stranger = decideCritical(
    r,
    { type: 'acknowledge', by: 'dr.x', method: 'app', recordedBy: 'dr.x' },
    T0,
  );
  assert.equal(stranger.ok ? '' : stranger.code, 'CONFER_ERR_CRITICAL_NOT_A_RECIPIENT');
  // The backup is not addressed before the ladder reaches them.
  const early = decideCritical(
    r,
    { type: 'acknowledge', by: 'dr.backup', method: 'link', recordedBy: 'dr.backup' },
    T0,
  );
  assert.equal(early.ok, false);
  const onBehalf = decideCritical(
    r,
    { type: 'acknowledge', by: 'dr.clinician', method: 'app', recordedBy: 'coord' },
    T0,
  );
  assert.equal(onBehalf.ok ? '' : onBehalf.code, 'CONFER_ERR_CRITICAL_INVALID');
  const done = ok(
    r,
    {
      type: 'acknowledge',
      by: 'dr.clinician',
      method: 'link',
      recordedBy: 'dr.clinician',
      communicationId: 'CR-1/2',
    },
    T0 + 5 * MIN,
  ).result;
  assert.deepEqual(done.acknowledgement, {
    at: T0 + 5 * MIN,
    by: 'dr.clinician',
    method: 'link',
    recordedBy: 'dr.clinician',
    communicationId: 'CR-1/2',
  });
  assert.ok(done.communications.every((c) => c.acknowledgedAt === T0 + 5 * MIN));
  const again = decideCritical(
    done,
    { type: 'acknowledge', by: 'dr.clinician', method: 'app', recordedBy: 'dr.clinician' },
    T0 + 6 * MIN,
  );
  assert.equal(again.ok ? '' : again.code, 'CONFER_ERR_CRITICAL_ALREADY_ACKNOWLEDGED');
  // An acknowledged result never escalates.
  assert.deepEqual(decideCritical(done, { type: 'escalate', step: 0 }, T0 + 40 * MIN), {
    ok: true,
    events: [],
  });
});

test('a phone read-back recorded by a coordinator is a communication and the acknowledgement', () => {
  const r = flagCriticalResult(input(), T0).result;
  const a = ok(
    r,
    { type: 'acknowledge', by: 'dr.oncall', method: 'phone', recordedBy: 'coord', note: 'read back' },
    T0 + 3 * MIN,
  );
  const phone = a.result.communications.at(-1)!;
  assert.deepEqual(
    [phone.channel, phone.recipient, phone.sentBy, phone.status, phone.acknowledgedAt],
    ['phone', 'dr.oncall', 'coord', 'delivered', T0 + 3 * MIN],
  );
  assert.equal(a.result.acknowledgement?.communicationId, phone.id);
  assert.equal(a.result.acknowledgement?.recordedBy, 'coord');
});

test('deliveries and openings are recorded once', () => {
  let r = flagCriticalResult(input(), T0).result;
  r = ok(r, { type: 'delivery', communicationId: 'CR-1/2', ok: true }, T0 + 1000).result;
  assert.equal(r.communications[1]!.deliveredAt, T0 + 1000);
  assert.deepEqual(decideCritical(r, { type: 'delivery', communicationId: 'CR-1/2', ok: false }, T0 + 2000), {
    ok: true,
    events: [],
  });
  r = ok(r, { type: 'open', communicationId: 'CR-1/2' }, T0 + 3000).result;
  r = ok(r, { type: 'open', communicationId: 'CR-1/2' }, T0 + 4000).result;
  assert.equal(r.communications[1]!.openedAt, T0 + 3000);
  const unknown = decideCritical(r, { type: 'open', communicationId: 'CR-1/9' }, T0);
  assert.equal(unknown.ok ? '' : unknown.code, 'CONFER_ERR_CRITICAL_UNKNOWN_COMMUNICATION');
  const failed = flagCriticalResult(input(), T0).result;
  const f = ok(
    failed,
    { type: 'delivery', communicationId: 'CR-1/2', ok: false, error: 'SMTP 550' },
    T0,
  ).result;
  assert.deepEqual([f.communications[1]!.status, f.communications[1]!.error], ['failed', 'SMTP 550']);
});
