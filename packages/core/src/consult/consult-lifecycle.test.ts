import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyConsultCommand,
  type ConsultApplied,
  type ConsultCommand,
  ConsultErrorCode,
  type ConsultSnapshot,
  ConsultState,
  consultExclusions,
  newConsult,
} from './consult-lifecycle.ts';

const T0 = Date.parse('2026-03-10T14:00:00Z');

function asked(): ConsultSnapshot {
  return newConsult(
    {
      id: 'K-1',
      caseId: 'C-1',
      kind: 'second-opinion',
      urgency: 'urgent',
      target: { kind: 'pool', poolId: 'neuro' },
      question: 'Subtle hypodensity left MCA territory?',
      requestedBy: 'ben',
      requesterReaderId: 'r-ben',
    },
    T0,
  ).snapshot;
}

function run(s: ConsultSnapshot, ...commands: ConsultCommand[]): ConsultSnapshot {
  let cur = s;
  for (const c of commands) {
    const out = applyConsultCommand(cur, c, T0 + 60_000);
    assert.ok(out.ok, `${c.type}: ${out.ok ? '' : out.message}`);
    cur = out.snapshot;
  }
  return cur;
}

function refused(out: ConsultApplied, code: string) {
  assert.equal(out.ok, false);
  if (!out.ok) assert.equal(out.code, code);
}

const toAda: ConsultCommand = {
  type: 'route',
  routing: { assigneeId: 'r-ada', summary: 'Assigned to Dr Ada' },
};

test('requested -> accepted -> answered: the answer is kept with who gave it and when', () => {
  const s = run(asked(), toAda, { type: 'accept', readerId: 'r-ada' });
  assert.equal(s.state, ConsultState.Accepted);
  const out = applyConsultCommand(
    s,
    { type: 'answer', readerId: 'r-ada', username: 'ada', text: ' Early infarct. ' },
    T0 + 120_000,
  );
  assert.ok(out.ok);
  assert.equal(out.snapshot.state, ConsultState.Answered);
  assert.deepEqual(out.snapshot.answer, {
    text: 'Early infarct.',
    by: 'ada',
    readerId: 'r-ada',
    at: T0 + 120_000,
  });
  assert.deepEqual(
    out.events.map((e) => e.type),
    ['consult:answered'],
  );
  refused(applyConsultCommand(out.snapshot, { type: 'cancel', by: 'ben' }, T0), ConsultErrorCode.Closed);
});

test('only the consultant routed to may accept, decline or answer; an empty answer is refused', () => {
  const s = run(asked(), toAda);
  refused(applyConsultCommand(s, { type: 'accept', readerId: 'r-cy' }, T0), ConsultErrorCode.NotAssignee);
  refused(
    applyConsultCommand(s, { type: 'decline', readerId: 'r-cy', reason: 'x' }, T0),
    ConsultErrorCode.NotAssignee,
  );
  refused(
    applyConsultCommand(s, { type: 'answer', readerId: 'r-cy', username: 'cy', text: 'x' }, T0),
    ConsultErrorCode.NotAssignee,
  );
  refused(
    applyConsultCommand(s, { type: 'answer', readerId: 'r-ada', username: 'ada', text: '  ' }, T0),
    ConsultErrorCode.EmptyAnswer,
  );
  const answered = run(s, { type: 'answer', readerId: 'r-ada', username: 'ada', text: 'No bleed.' });
  assert.equal(answered.state, ConsultState.Answered, 'answering a requested consult accepts it implicitly');
});

test('a decline leaves the consult unassigned, remembers the decliner, and routing leaves them out next time', () => {
  const declined = run(asked(), toAda, { type: 'decline', readerId: 'r-ada', reason: 'in theatre' });
  assert.equal(declined.state, ConsultState.Unassigned);
  assert.equal(declined.assigneeId, null);
  assert.deepEqual(consultExclusions(declined), [
    { readerId: 'r-ben', why: 'asked for this consult' },
    { readerId: 'r-ada', why: 'declined this consult' },
  ]);
  const rerouted = run(declined, {
    type: 'route',
    routing: { assigneeId: 'r-cy', summary: 'Assigned to Dr Cy' },
  });
  assert.equal(rerouted.state, ConsultState.Requested);
  assert.equal(rerouted.assigneeId, 'r-cy');
  const nobody = run(declined, {
    type: 'route',
    routing: { assigneeId: null, summary: 'No eligible reader' },
  });
  assert.equal(nobody.state, ConsultState.Unassigned);
});

test('expiry takes a consult not yet accepted from its consultant; an accepted one stays with them', () => {
  const expired = run(asked(), toAda, { type: 'expire' });
  assert.equal(expired.state, ConsultState.Unassigned);
  assert.equal(expired.expired, true);
  assert.deepEqual(expired.expiredFrom, ['r-ada']);
  assert.ok(consultExclusions(expired).some((e) => e.readerId === 'r-ada'));
  const again = applyConsultCommand(expired, { type: 'expire' }, T0);
  assert.ok(again.ok && again.events.length === 0, 'expiring twice changes nothing');

  const accepted = run(asked(), toAda, { type: 'accept', readerId: 'r-ada' }, { type: 'expire' });
  assert.equal(accepted.state, ConsultState.Accepted);
  assert.equal(accepted.assigneeId, 'r-ada');
  assert.equal(accepted.expired, true);
  refused(applyConsultCommand(accepted, toAda, T0), ConsultErrorCode.InvalidTransition);
});

test('cancel closes any open consult; every change bumps the version', () => {
  const s = asked();
  const c = run(s, toAda, { type: 'cancel', by: 'ben', reason: 'answered at the MDT' });
  assert.equal(c.state, ConsultState.Cancelled);
  assert.equal(c.version, s.version + 2);
  assert.equal(c.assigneeId, null);
});
