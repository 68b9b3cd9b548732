import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoutingDecision } from '../routing/model.ts';
import { applyCaseCommand, caseTransitions, decideCase, evolveCase, newCase } from './lifecycle.ts';
import type { CaseCommand, CaseDecision, CaseSnapshot } from './model.ts';

const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;
const LEASE = 10 * MIN;

function decision(over: Partial<RoutingDecision> = {}): RoutingDecision {
  return {
    caseId: 'c-1',
    at: T0,
    outcome: 'pooled',
    priority: 'routine',
    slaClass: 'routine',
    eligibleReaderIds: ['r-1', 'r-2'],
    rules: [],
    candidates: [],
    summary: 'pooled to 2 readers on the CT shift',
    ...over,
  };
}

function ok(c: CaseSnapshot, command: CaseCommand, now: number): CaseSnapshot {
  const r = applyCaseCommand(c, command, now);
  assert.ok(r.ok, `expected ${command.type} to be accepted, got ${r.ok ? '' : `${r.code}: ${r.message}`}`);
  return r.snapshot;
}

function refused(d: CaseDecision): Extract<CaseDecision, { ok: false }> {
  assert.equal(d.ok, false, 'expected a refusal');
  return d as Extract<CaseDecision, { ok: false }>;
}

function eventTypes(d: CaseDecision): string[] {
  assert.ok(d.ok);
  return d.events.map((e) => e.type);
}

/** A complete study, pooled to r-1 and r-2 at T0. */
function pooled(over: Partial<RoutingDecision> = {}): CaseSnapshot {
  const c = ok(newCase('c-1', { priority: 'routine' }), { type: 'study-complete' }, T0);
  return ok(c, { type: 'route', decision: decision(over) }, T0);
}

/** Pooled, then claimed by r-1 at T0 + 2 min with a 10-minute lease. */
function inRead(): CaseSnapshot {
  return ok(pooled(), { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 2 * MIN);
}

test('a new case: version 0, nobody owns it, acquiring unless scheduled', () => {
  const c = newCase('c-1', { priority: 'stat', pathway: 'stroke' });
  assert.deepEqual(c, {
    id: 'c-1',
    state: 'acquiring',
    priority: 'stat',
    pathway: 'stroke',
    ownerId: null,
    leaseExpiresAt: null,
    eligibleReaderIds: [],
    broadened: false,
    exception: null,
    milestones: {},
    priorityReasons: [],
    version: 0,
  });
  assert.equal(newCase('c-2', { priority: 'routine', state: 'scheduled' }).state, 'scheduled');
  assert.equal('pathway' in newCase('c-3', { priority: 'routine' }), false);
});

test('images-arrived: scheduled -> acquiring records acquisition once; later images change nothing', () => {
  const s = newCase('c-1', { priority: 'routine', state: 'scheduled' });
  const a = ok(s, { type: 'images-arrived', at: T0 - MIN }, T0);
  assert.equal(a.state, 'acquiring');
  assert.equal(a.milestones.acquired, T0 - MIN);
  assert.equal(a.version, 1);
  assert.deepEqual(eventTypes(decideCase(a, { type: 'images-arrived' }, T0 + MIN)), []);
  // A fresh acquiring case records its first images without a state change.
  const fresh = ok(newCase('c-2', { priority: 'routine' }), { type: 'images-arrived' }, T0);
  assert.equal(fresh.state, 'acquiring');
  assert.equal(fresh.milestones.acquired, T0);
  // Images reported as arriving in the future are recorded as now.
  const early = ok(s, { type: 'images-arrived', at: T0 + 5 * MIN }, T0);
  assert.equal(early.milestones.acquired, T0);
  for (const c of [pooled(), inRead()]) {
    assert.deepEqual(eventTypes(decideCase(c, { type: 'images-arrived' }, T0 + 3 * MIN)), []);
  }
});

test('study-complete: acquiring -> ready (case:available); re-completing a ready or assigned case changes nothing', () => {
  const a = ok(newCase('c-1', { priority: 'routine' }), { type: 'images-arrived' }, T0 - 10 * MIN);
  const d = decideCase(a, { type: 'study-complete', acquiredAt: T0 - 20 * MIN }, T0);
  assert.deepEqual(d, { ok: true, events: [{ type: 'case:available', at: T0, acquiredAt: T0 - 20 * MIN }] });
  const r = ok(a, { type: 'study-complete', acquiredAt: T0 - 20 * MIN }, T0);
  assert.equal(r.state, 'ready');
  assert.equal(r.stateSince, T0);
  // The first images came first: acquisition is recorded once.
  assert.deepEqual(r.milestones, { acquired: T0 - 10 * MIN, available: T0 });
  const direct = ok(
    newCase('c-2', { priority: 'routine', state: 'scheduled' }),
    { type: 'study-complete' },
    T0,
  );
  assert.deepEqual(direct.milestones, { acquired: T0, available: T0 });
  // acquiredAt from a modality clock running ahead cannot put acquisition after availability.
  const skewed = ok(
    newCase('c-3', { priority: 'routine' }),
    { type: 'study-complete', acquiredAt: T0 + MIN },
    T0,
  );
  assert.equal(skewed.milestones.acquired, T0);
  const assigned = ok(
    r,
    { type: 'route', decision: decision({ outcome: 'assigned', assigneeId: 'r-1' }) },
    T0,
  );
  for (const c of [r, assigned, inRead()]) {
    assert.deepEqual(eventTypes(decideCase(c, { type: 'study-complete' }, T0 + MIN)), []);
  }
});

test('route pooled: ready, nobody owns it, the decision says who may claim it', () => {
  const c = pooled({ pathway: 'stroke', ruleId: 'neuro-ct' });
  assert.equal(c.state, 'ready');
  assert.equal(c.ownerId, null);
  assert.deepEqual(c.eligibleReaderIds, ['r-1', 'r-2']);
  assert.equal(c.pathway, 'stroke');
  assert.equal(c.milestones.routed, T0);
  assert.equal(c.version, 2);
});

test('route assigned: Routed + Assigned, the assignee owns it', () => {
  const r = ok(newCase('c-1', { priority: 'routine' }), { type: 'study-complete' }, T0);
  const d = decideCase(
    r,
    { type: 'route', decision: decision({ outcome: 'assigned', assigneeId: 'r-2' }) },
    T0,
  );
  assert.deepEqual(eventTypes(d), ['case:routed', 'case:assigned']);
  const c = ok(r, { type: 'route', decision: decision({ outcome: 'assigned', assigneeId: 'r-2' }) }, T0);
  assert.equal(c.state, 'assigned');
  assert.equal(c.ownerId, 'r-2');
  assert.deepEqual(c.eligibleReaderIds, ['r-1', 'r-2']);
  // Rerouting an assigned case moves it to the new assignee.
  const again = ok(
    c,
    {
      type: 'route',
      decision: decision({ outcome: 'assigned', assigneeId: 'r-3', eligibleReaderIds: ['r-3'] }),
    },
    T0 + MIN,
  );
  assert.equal(again.ownerId, 'r-3');
  assert.deepEqual(again.eligibleReaderIds, ['r-3']);
  assert.equal(again.milestones.routed, T0, 'the routed milestone does not move');
  const noAssignee = refused(
    decideCase(r, { type: 'route', decision: decision({ outcome: 'assigned' }) }, T0),
  );
  assert.equal(noAssignee.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.match(noAssignee.message, /names no assignee/);
});

test('route unroutable: the case lands in the unroutable queue with the summary, and is not yet routed', () => {
  const c = pooled({ outcome: 'unroutable', eligibleReaderIds: [], summary: 'no neuro reader on shift' });
  assert.equal(c.state, 'exception');
  assert.deepEqual(c.exception, {
    queue: 'unroutable',
    reason: 'no neuro reader on shift',
    raisedAt: T0,
    raisedBy: 'routing',
  });
  assert.equal(c.stateBeforeException, 'ready');
  assert.equal(c.ownerId, null);
  assert.equal(c.milestones.routed, undefined);
});

test('route raises priority with the reasons, and never lowers it', () => {
  const r = ok(newCase('c-1', { priority: 'routine' }), { type: 'study-complete' }, T0);
  const rules = [
    { ruleId: 'ai', name: 'AI suspected ICH', matched: true, why: [] },
    { ruleId: 'x', name: 'Other', matched: false, why: [] },
  ];
  const d = decideCase(r, { type: 'route', decision: decision({ priority: 'stat', rules }) }, T0);
  assert.deepEqual(eventTypes(d), ['case:reprioritised', 'case:routed']);
  const c = ok(r, { type: 'route', decision: decision({ priority: 'stat', rules }) }, T0);
  assert.equal(c.priority, 'stat');
  assert.deepEqual(c.priorityReasons, ['raised by routing rules: AI suspected ICH']);
  const lower = ok(c, { type: 'route', decision: decision({ priority: 'routine' }) }, T0 + MIN);
  assert.equal(lower.priority, 'stat');
});

test('route refuses a case in read (ownership follows the reader), a closed case and a foreign decision', () => {
  const c = inRead();
  const r = refused(decideCase(c, { type: 'route', decision: decision() }, T0 + 3 * MIN));
  assert.equal(r.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(r.ownerId, 'r-1');
  assert.equal(r.since, T0 + 2 * MIN);
  assert.equal(
    r.message,
    'Cannot route case c-1: it is in read by r-1 since 2026-11-24T10:02:00.000Z, and a case in read is never rerouted; ask the reader to release it or a coordinator to reassign it',
  );
  const fin = ok(c, { type: 'finalize', readerId: 'r-1' }, T0 + 5 * MIN);
  assert.equal(
    refused(decideCase(fin, { type: 'route', decision: decision() }, T0)).code,
    'CONFER_ERR_CASE_CLOSED',
  );
  const foreign = refused(decideCase(pooled(), { type: 'route', decision: decision({ caseId: 'c-9' }) }, T0));
  assert.match(foreign.message, /routing decision for case c-9/);
  const early = refused(
    decideCase(newCase('c-1', { priority: 'stat' }), { type: 'route', decision: decision() }, T0),
  );
  assert.match(early.message, /study is not complete yet/);
});

test('claim from ready by an eligible reader: in read with a lease; the first claim opens the case', () => {
  const c = inRead();
  assert.equal(c.state, 'in-read');
  assert.equal(c.ownerId, 'r-1');
  assert.equal(c.leaseExpiresAt, T0 + 2 * MIN + LEASE);
  assert.equal(c.milestones.opened, T0 + 2 * MIN);
  assert.equal(c.stateSince, T0 + 2 * MIN);
});

test('claim refusals: not eligible, assigned elsewhere, already claimed, closed, in an exception', () => {
  const p = pooled();
  const ne = refused(decideCase(p, { type: 'claim', readerId: 'r-9', leaseMs: LEASE }, T0));
  assert.equal(ne.code, 'CONFER_ERR_CASE_NOT_ELIGIBLE');
  assert.equal(
    ne.message,
    'Cannot claim case c-1: reader r-9 is not eligible for it; ask a coordinator to assign it to you',
  );

  const a = ok(p, { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  const ae = refused(decideCase(a, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 2 * MIN));
  assert.equal(ae.code, 'CONFER_ERR_CASE_ASSIGNED_ELSEWHERE');
  assert.equal(ae.ownerId, 'r-2');
  assert.equal(ae.since, T0 + MIN);
  assert.equal(
    ae.message,
    'Case c-1 is assigned to r-2 since 2026-11-24T10:01:00.000Z; only they can claim it, or ask a coordinator to reassign it',
  );

  const c = inRead();
  const ac = refused(decideCase(c, { type: 'claim', readerId: 'r-2', leaseMs: LEASE }, T0 + 5 * MIN));
  assert.equal(ac.code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
  assert.equal(ac.ownerId, 'r-1');
  assert.equal(ac.since, T0 + 2 * MIN);
  assert.equal(
    ac.message,
    'Case c-1 is in read by r-1 since 2026-11-24T10:02:00.000Z (lease until 2026-11-24T10:12:00.000Z); ask a coordinator to reassign it',
  );

  const fin = ok(c, { type: 'finalize', readerId: 'r-1' }, T0 + 6 * MIN);
  const closed = refused(decideCase(fin, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 7 * MIN));
  assert.equal(closed.code, 'CONFER_ERR_CASE_CLOSED');
  assert.equal(
    closed.message,
    'Cannot claim case c-1: it is final since 2026-11-24T10:06:00.000Z; add an addendum to change its report',
  );
  const cancelled = ok(p, { type: 'cancel', by: 'ris', reason: 'order cancelled' }, T0 + MIN);
  assert.match(
    refused(decideCase(cancelled, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0)).message,
    /it was cancelled at .*; nothing more can be done/,
  );

  const ex = ok(
    p,
    { type: 'raise-exception', queue: 'protocol-mismatch', reason: 'wrong protocol', by: 'ai' },
    T0,
  );
  const inv = refused(decideCase(ex, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0));
  assert.equal(inv.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(
    inv.message,
    'Cannot claim case c-1: it is in the protocol-mismatch exception queue (wrong protocol); a coordinator must resolve the exception first',
  );
  const acq = refused(
    decideCase(newCase('c-1', { priority: 'stat' }), { type: 'claim', readerId: 'r-1', leaseMs: 1 }, T0),
  );
  assert.equal(acq.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
});

test('claim with override: an ineligible reader or someone else than the assignee may take it', () => {
  const p = pooled();
  const o = ok(p, { type: 'claim', readerId: 'r-9', leaseMs: LEASE, override: true }, T0 + MIN);
  assert.equal(o.ownerId, 'r-9');
  assert.ok(o.eligibleReaderIds.includes('r-9'));
  const a = ok(p, { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  const taken = ok(a, { type: 'claim', readerId: 'r-1', leaseMs: LEASE, override: true }, T0 + 2 * MIN);
  assert.equal(taken.ownerId, 'r-1');
  assert.equal(taken.state, 'in-read');
});

test('claim by the assignee: assigned -> in read', () => {
  const a = ok(pooled(), { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  const c = ok(a, { type: 'claim', readerId: 'r-2', leaseMs: LEASE }, T0 + 2 * MIN);
  assert.equal(c.state, 'in-read');
  assert.equal(c.ownerId, 'r-2');
});

test('re-claim by the reader in read renews the lease; an expired lease lets an eligible reader take over', () => {
  const c = inRead();
  const d = decideCase(c, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 5 * MIN);
  assert.deepEqual(d, {
    ok: true,
    events: [
      { type: 'case:lease-renewed', at: T0 + 5 * MIN, readerId: 'r-1', leaseExpiresAt: T0 + 15 * MIN },
    ],
  });
  const expiry = c.leaseExpiresAt!;
  const t = decideCase(c, { type: 'claim', readerId: 'r-2', leaseMs: LEASE }, expiry);
  assert.deepEqual(eventTypes(t), ['case:lease-expired', 'case:claimed']);
  const took = ok(c, { type: 'claim', readerId: 'r-2', leaseMs: LEASE }, expiry);
  assert.equal(took.ownerId, 'r-2');
  assert.equal(took.milestones.opened, T0 + 2 * MIN, 'opened is the first claim');
  assert.ok(took.eligibleReaderIds.includes('r-1'));
  assert.equal(took.version, c.version + 2);
  const ne = refused(decideCase(c, { type: 'claim', readerId: 'r-9', leaseMs: LEASE }, expiry));
  assert.equal(ne.code, 'CONFER_ERR_CASE_NOT_ELIGIBLE');
});

test('claim of a preliminary case: only its owner finalizes it', () => {
  const p = ok(inRead(), { type: 'preliminary', readerId: 'r-1' }, T0 + 4 * MIN);
  const other = refused(decideCase(p, { type: 'claim', readerId: 'r-2', leaseMs: LEASE }, T0 + 5 * MIN));
  assert.equal(other.code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
  assert.equal(other.ownerId, 'r-1');
  assert.equal(
    other.message,
    'Case c-1 is awaiting the final report of r-1 since 2026-11-24T10:04:00.000Z, who issued the preliminary report; only they can finalize it',
  );
  const self = refused(decideCase(p, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 5 * MIN));
  assert.equal(self.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.match(self.message, /r-1 finalizes it$/);
});

test('heartbeat: the owner renews a live lease; anyone else, or an expired lease, is NotOwner', () => {
  const c = inRead();
  const h = ok(c, { type: 'heartbeat', readerId: 'r-1', leaseMs: LEASE }, T0 + 8 * MIN);
  assert.equal(h.leaseExpiresAt, T0 + 18 * MIN);
  assert.equal(h.state, 'in-read');
  const other = refused(decideCase(c, { type: 'heartbeat', readerId: 'r-2', leaseMs: LEASE }, T0 + 3 * MIN));
  assert.equal(other.code, 'CONFER_ERR_CASE_NOT_OWNER');
  assert.equal(other.ownerId, 'r-1');
  assert.equal(
    other.message,
    'Cannot renew the lease on case c-1: it is in read by r-1 since 2026-11-24T10:02:00.000Z, not in read by r-2; claim it again to keep reading',
  );
  const late = refused(decideCase(c, { type: 'heartbeat', readerId: 'r-1', leaseMs: LEASE }, T0 + 12 * MIN));
  assert.equal(late.code, 'CONFER_ERR_CASE_NOT_OWNER');
  assert.equal(
    late.message,
    'Cannot renew the lease on case c-1: the lease of r-1 expired at 2026-11-24T10:12:00.000Z; claim it again to keep reading',
  );
  const ready = refused(decideCase(pooled(), { type: 'heartbeat', readerId: 'r-1', leaseMs: LEASE }, T0));
  assert.equal(ready.code, 'CONFER_ERR_CASE_NOT_OWNER');
  assert.match(ready.message, /it is ready and not in read by r-1/);
});

test('release: the owner gives the case back to the pool and stays eligible', () => {
  const c = ok(pooled(), { type: 'claim', readerId: 'r-9', leaseMs: LEASE, override: true }, T0 + MIN);
  const r = ok(c, { type: 'release', readerId: 'r-9', reason: 'wrong subspecialty' }, T0 + 3 * MIN);
  assert.equal(r.state, 'ready');
  assert.equal(r.ownerId, null);
  assert.equal(r.leaseExpiresAt, null);
  assert.deepEqual(r.eligibleReaderIds, ['r-1', 'r-2', 'r-9']);
  const a = ok(pooled(), { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  assert.equal(ok(a, { type: 'release', readerId: 'r-2' }, T0 + 2 * MIN).state, 'ready');
  const no = refused(decideCase(c, { type: 'release', readerId: 'r-1' }, T0 + 2 * MIN));
  assert.equal(no.code, 'CONFER_ERR_CASE_NOT_OWNER');
  assert.equal(no.ownerId, 'r-9');
  assert.match(no.message, /not r-1; only the owner or a coordinator can give it up/);
  assert.equal(
    refused(decideCase(pooled(), { type: 'release', readerId: 'r-1' }, T0)).code,
    'CONFER_ERR_CASE_INVALID_TRANSITION',
  );
});

test('expire-lease: only once the lease has run out; the reader stays eligible', () => {
  const c = inRead();
  const early = refused(decideCase(c, { type: 'expire-lease' }, T0 + 11 * MIN));
  assert.equal(early.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(
    early.message,
    'Cannot expire the lease on case c-1: the lease of r-1 runs until 2026-11-24T10:12:00.000Z; nothing to expire yet',
  );
  const e = ok(c, { type: 'expire-lease' }, T0 + 12 * MIN);
  assert.equal(e.state, 'ready');
  assert.equal(e.ownerId, null);
  assert.ok(e.eligibleReaderIds.includes('r-1'));
  assert.equal(
    refused(decideCase(e, { type: 'expire-lease' }, T0 + 13 * MIN)).code,
    'CONFER_ERR_CASE_INVALID_TRANSITION',
  );
});

test('reassign: a coordinator moves a case even in read, or unassigns it; from the unroutable queue too', () => {
  const c = inRead();
  const d = decideCase(
    c,
    { type: 'reassign', toReaderId: 'r-3', by: 'coord', reason: 'r-1 called away' },
    T0 + 4 * MIN,
  );
  assert.deepEqual(d, {
    ok: true,
    events: [
      {
        type: 'case:reassigned',
        at: T0 + 4 * MIN,
        by: 'coord',
        fromReaderId: 'r-1',
        toReaderId: 'r-3',
        reason: 'r-1 called away',
      },
    ],
  });
  const moved = ok(c, { type: 'reassign', toReaderId: 'r-3', by: 'coord' }, T0 + 4 * MIN);
  assert.equal(moved.state, 'assigned');
  assert.equal(moved.ownerId, 'r-3');
  assert.equal(moved.leaseExpiresAt, null);
  assert.deepEqual(moved.eligibleReaderIds, ['r-1', 'r-2', 'r-3']);
  const unassigned = ok(moved, { type: 'reassign', toReaderId: null, by: 'coord' }, T0 + 5 * MIN);
  assert.equal(unassigned.state, 'ready');
  assert.equal(unassigned.ownerId, null);
  assert.deepEqual(
    eventTypes(decideCase(moved, { type: 'reassign', toReaderId: 'r-3', by: 'coord' }, T0)),
    [],
  );
  assert.deepEqual(
    eventTypes(decideCase(unassigned, { type: 'reassign', toReaderId: null, by: 'c' }, T0)),
    [],
  );

  const u = pooled({ outcome: 'unroutable', eligibleReaderIds: [], summary: 'nobody' });
  const byHand = ok(u, { type: 'reassign', toReaderId: 'r-5', by: 'coord' }, T0 + 3 * MIN);
  assert.equal(byHand.state, 'assigned');
  assert.equal(byHand.exception, null);
  assert.equal(byHand.stateBeforeException, undefined);
  assert.equal(byHand.milestones.routed, T0 + 3 * MIN);

  const ur = ok(inRead(), { type: 'mark-unreadable', readerId: 'r-1', reason: 'motion' }, T0 + 3 * MIN);
  const no = refused(decideCase(ur, { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + 4 * MIN));
  assert.equal(no.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(
    no.message,
    'Cannot reassign case c-1: it is in the unreadable exception queue (motion); resolve the exception first',
  );
});

test('preliminary and finalize: only the owner in read; a preliminary case is finalized without a lease', () => {
  const c = inRead();
  const p = ok(c, { type: 'preliminary', readerId: 'r-1' }, T0 + 4 * MIN);
  assert.equal(p.state, 'preliminary');
  assert.equal(p.ownerId, 'r-1');
  assert.equal(p.leaseExpiresAt, null);
  assert.equal(p.milestones.preliminary, T0 + 4 * MIN);
  const f = ok(p, { type: 'finalize', readerId: 'r-1' }, T0 + 60 * MIN);
  assert.equal(f.state, 'final');
  assert.equal(f.ownerId, null);
  assert.equal(f.milestones.final, T0 + 60 * MIN);
  const direct = ok(c, { type: 'finalize', readerId: 'r-1' }, T0 + 6 * MIN);
  assert.equal(direct.state, 'final');
  assert.equal(direct.leaseExpiresAt, null);
  assert.equal(direct.milestones.preliminary, undefined);

  for (const [cmd, s] of [
    ['preliminary', c],
    ['finalize', c],
    ['finalize', p],
  ] as const) {
    const r = refused(decideCase(s, { type: cmd, readerId: 'r-2' }, T0 + 5 * MIN));
    assert.equal(r.code, 'CONFER_ERR_CASE_NOT_OWNER');
    assert.equal(r.ownerId, 'r-1');
  }
  assert.match(
    refused(decideCase(c, { type: 'finalize', readerId: 'r-2' }, T0 + 5 * MIN)).message,
    /^Cannot finalize case c-1: it is in read by r-1 since .*; only they can do that, or ask a coordinator to reassign it$/,
  );
  const a = ok(pooled(), { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  const notOpen = refused(decideCase(a, { type: 'preliminary', readerId: 'r-2' }, T0 + 2 * MIN));
  assert.equal(notOpen.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(
    notOpen.message,
    'Cannot issue a preliminary report on case c-1: it is assigned, not in read; claim it first',
  );
});

test('addend: any reader adds to a final report, again and again; nothing else can be addended', () => {
  const f = ok(inRead(), { type: 'finalize', readerId: 'r-1' }, T0 + 6 * MIN);
  const a = ok(f, { type: 'addend', readerId: 'r-7' }, T0 + 60 * MIN);
  assert.equal(a.state, 'addended');
  const d = decideCase(a, { type: 'addend', readerId: 'r-2' }, T0 + 70 * MIN);
  assert.deepEqual(d, { ok: true, events: [{ type: 'case:addended', at: T0 + 70 * MIN, readerId: 'r-2' }] });
  assert.equal(a.milestones.final, T0 + 6 * MIN);
  const no = refused(decideCase(inRead(), { type: 'addend', readerId: 'r-1' }, T0));
  assert.equal(no.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
});

test('cancel: from any open state, clearing the owner; a closed case stays closed', () => {
  const c = ok(inRead(), { type: 'cancel', by: 'ris', reason: 'order cancelled' }, T0 + 3 * MIN);
  assert.equal(c.state, 'cancelled');
  assert.equal(c.ownerId, null);
  assert.equal(c.leaseExpiresAt, null);
  const again = refused(decideCase(c, { type: 'cancel', by: 'ris', reason: 'again' }, T0 + 4 * MIN));
  assert.equal(again.code, 'CONFER_ERR_CASE_CLOSED');
  const ex = pooled({ outcome: 'unroutable', eligibleReaderIds: [] });
  const ce = ok(ex, { type: 'cancel', by: 'coord', reason: 'duplicate' }, T0 + MIN);
  assert.equal(ce.exception, null);
  const sch = newCase('c-1', { priority: 'routine', state: 'scheduled' });
  assert.equal(ok(sch, { type: 'cancel', by: 'ris', reason: 'x' }, T0).state, 'cancelled');
});

test('raise-exception: the case leaves its owner, who stays eligible; the state before is kept', () => {
  const c = ok(
    inRead(),
    { type: 'raise-exception', queue: 'protocol-mismatch', reason: 'MR protocol', by: 'ai' },
    T0 + 3 * MIN,
  );
  assert.equal(c.state, 'exception');
  assert.equal(c.stateBeforeException, 'in-read');
  assert.equal(c.ownerId, null);
  assert.equal(c.leaseExpiresAt, null);
  assert.deepEqual(c.exception, {
    queue: 'protocol-mismatch',
    reason: 'MR protocol',
    raisedAt: T0 + 3 * MIN,
    raisedBy: 'ai',
  });
  assert.ok(c.eligibleReaderIds.includes('r-1'));
  const again = refused(
    decideCase(c, { type: 'raise-exception', queue: 'unreadable', reason: 'x', by: 'ai' }, T0),
  );
  assert.equal(again.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  const p = ok(inRead(), { type: 'preliminary', readerId: 'r-1' }, T0 + 4 * MIN);
  assert.equal(
    refused(decideCase(p, { type: 'raise-exception', queue: 'unreadable', reason: 'x', by: 'ai' }, T0)).code,
    'CONFER_ERR_CASE_INVALID_TRANSITION',
  );
  const acq = ok(
    newCase('c-1', { priority: 'routine' }),
    { type: 'raise-exception', queue: 'incomplete-study', reason: 'series 3 missing', by: 'confer' },
    T0,
  );
  assert.equal(acq.stateBeforeException, 'acquiring');
});

test('mark-unreadable: only the owner in read; the case goes to the unreadable queue with the reason', () => {
  const c = inRead();
  const d = decideCase(
    c,
    { type: 'mark-unreadable', readerId: 'r-1', reason: 'motion artefact' },
    T0 + 3 * MIN,
  );
  assert.deepEqual(d, {
    ok: true,
    events: [
      {
        type: 'case:exception-raised',
        at: T0 + 3 * MIN,
        queue: 'unreadable',
        reason: 'motion artefact',
        by: 'r-1',
      },
    ],
  });
  const no = refused(decideCase(c, { type: 'mark-unreadable', readerId: 'r-2', reason: 'x' }, T0 + 3 * MIN));
  assert.equal(no.code, 'CONFER_ERR_CASE_NOT_OWNER');
  assert.equal(
    refused(decideCase(pooled(), { type: 'mark-unreadable', readerId: 'r-1', reason: 'x' }, T0)).code,
    'CONFER_ERR_CASE_INVALID_TRANSITION',
  );
});

test('resolve-exception: back to ready with no owner, for the server to route again', () => {
  const ex = ok(inRead(), { type: 'mark-unreadable', readerId: 'r-1', reason: 'motion' }, T0 + 3 * MIN);
  const r = ok(ex, { type: 'resolve-exception', by: 'coord', note: 'rescanned' }, T0 + 30 * MIN);
  assert.equal(r.state, 'ready');
  assert.equal(r.ownerId, null);
  assert.equal(r.exception, null);
  assert.equal(r.stateBeforeException, undefined);
  assert.equal(r.stateSince, T0 + 30 * MIN);
  const no = refused(decideCase(r, { type: 'resolve-exception', by: 'coord' }, T0 + 31 * MIN));
  assert.equal(no.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(
    no.message,
    'Cannot resolve an exception on case c-1: it is ready; that is possible only when it is exception',
  );
});

test('an incomplete study resolved by a coordinator becomes available then; completing it in the queue records it too', () => {
  const ex = ok(
    newCase('c-1', { priority: 'routine' }),
    { type: 'raise-exception', queue: 'incomplete-study', reason: 'series 3 missing', by: 'confer' },
    T0,
  );
  const d = decideCase(ex, { type: 'resolve-exception', by: 'coord' }, T0 + 10 * MIN);
  assert.deepEqual(eventTypes(d), ['case:available', 'case:exception-resolved']);
  const r = ok(ex, { type: 'resolve-exception', by: 'coord' }, T0 + 10 * MIN);
  assert.equal(r.state, 'ready');
  assert.equal(r.milestones.available, T0 + 10 * MIN);
  const done = ok(ex, { type: 'study-complete' }, T0 + 5 * MIN);
  assert.equal(done.state, 'exception');
  assert.equal(done.stateBeforeException, 'ready');
  assert.equal(done.milestones.available, T0 + 5 * MIN);
  assert.deepEqual(eventTypes(decideCase(done, { type: 'study-complete' }, T0 + 6 * MIN)), []);
});

test('reprioritise: any open case; the reason is kept for the worklist', () => {
  const c = ok(
    inRead(),
    { type: 'reprioritise', priority: 'stat', reason: 'AI: suspected ICH' },
    T0 + 3 * MIN,
  );
  assert.equal(c.priority, 'stat');
  assert.deepEqual(c.priorityReasons, ['AI: suspected ICH']);
  assert.equal(c.state, 'in-read');
  assert.equal(c.stateSince, T0 + 2 * MIN, 'reprioritising does not restart the read');
  const f = ok(c, { type: 'finalize', readerId: 'r-1' }, T0 + 4 * MIN);
  assert.equal(
    refused(decideCase(f, { type: 'reprioritise', priority: 'routine', reason: 'x' }, T0)).code,
    'CONFER_ERR_CASE_CLOSED',
  );
});

test('broaden: more readers may claim it; an assigned case stays assigned', () => {
  const b = ok(pooled(), { type: 'broaden', readerIds: ['r-2', 'r-4'], reason: 'SLA 125%' }, T0 + 75 * MIN);
  assert.deepEqual(b.eligibleReaderIds, ['r-1', 'r-2', 'r-4']);
  assert.equal(b.broadened, true);
  assert.equal(b.state, 'ready');
  const a = ok(pooled(), { type: 'reassign', toReaderId: 'r-2', by: 'coord' }, T0 + MIN);
  const ab = ok(a, { type: 'broaden', readerIds: ['r-5'], reason: 'SLA' }, T0 + 2 * MIN);
  assert.equal(ab.state, 'assigned');
  assert.equal(ab.ownerId, 'r-2');
  assert.ok(ab.eligibleReaderIds.includes('r-5'));
  const no = refused(
    decideCase(inRead(), { type: 'broaden', readerIds: ['r-5'], reason: 'SLA' }, T0 + 3 * MIN),
  );
  assert.equal(no.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
  assert.equal(no.ownerId, 'r-1');
});

test('evolve returns a new snapshot and leaves the old one alone; every event is at now', () => {
  const c = pooled();
  const before = structuredClone(c);
  const d = decideCase(c, { type: 'claim', readerId: 'r-1', leaseMs: LEASE }, T0 + 7 * MIN);
  assert.ok(d.ok);
  for (const e of d.events) assert.equal(e.at, T0 + 7 * MIN);
  const next = evolveCase(c, d.events[0]!);
  assert.notEqual(next, c);
  assert.deepEqual(c, before);
  assert.equal(next.version, c.version + 1);
});

test('the transition table names every command', () => {
  const commands = [
    'images-arrived',
    'study-complete',
    'route',
    'claim',
    'heartbeat',
    'release',
    'expire-lease',
    'reassign',
    'preliminary',
    'finalize',
    'addend',
    'cancel',
    'raise-exception',
    'resolve-exception',
    'mark-unreadable',
    'reprioritise',
    'broaden',
    'record-critical',
  ];
  assert.deepEqual(Object.keys(caseTransitions).sort(), commands.sort());
  assert.deepEqual(caseTransitions.claim, {
    ready: ['in-read'],
    assigned: ['in-read'],
    'in-read': ['in-read'],
  });
});

test('record-critical: communicated and acknowledged milestones in any state, never in the future', () => {
  const c = pooled();
  const comm = {
    type: 'record-critical' as const,
    milestone: 'communicated' as const,
    at: T0 + MIN,
    resultId: 'CR-1',
    by: 'dr.reader',
    recipient: 'dr.clinician',
    channel: 'app',
  };
  const a = ok(c, comm, T0 + 2 * MIN);
  assert.equal(a.state, 'ready');
  assert.equal(a.milestones.communicated, T0 + MIN);
  const b = ok(a, { ...comm, milestone: 'acknowledged', at: T0 + 9 * MIN }, T0 + 5 * MIN);
  assert.equal(b.milestones.acknowledged, T0 + 5 * MIN);
  assert.equal(b.milestones.communicated, T0 + MIN);
  assert.deepEqual(eventTypes(decideCase(b, comm, T0 + 6 * MIN)), ['case:critical-communicated']);
  // An acknowledgement recorded first also marks the communication.
  const d = ok(c, { ...comm, milestone: 'acknowledged' }, T0 + 2 * MIN);
  assert.equal(d.milestones.communicated, T0 + MIN);
});
