import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Milestone, Priority } from '../routing/model.ts';
import {
  applyCaseCommand,
  caseStatesWithOwner,
  caseTransitions,
  closedCaseStates,
  newCase,
} from './lifecycle.ts';
import type { CaseCommand, CaseSnapshot, ExceptionQueue } from './model.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-11-24T08:00:00.000Z');
const readers = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6'];
const coordinators = ['coord-1', 'coord-2'];
const milestoneOrder: Milestone[] = ['acquired', 'available', 'routed', 'opened', 'preliminary', 'final'];

/** Stands for whoever owns the case when the command runs, so owners act often enough to matter. */
const OWNER = '@owner';
const who = fc.constantFrom(...readers, OWNER, OWNER, OWNER);
const coordinator = fc.constantFrom(...coordinators);
const leaseMs = fc.integer({ min: MIN, max: 15 * MIN });
const priority = fc.constantFrom<Priority>('stat', 'urgent', 'routine');
const queue = fc.constantFrom<ExceptionQueue>(
  'incomplete-study',
  'protocol-mismatch',
  'unroutable',
  'unreadable',
);

const command: fc.Arbitrary<CaseCommand> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('claim' as const),
      readerId: who,
      leaseMs,
      override: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('heartbeat' as const), readerId: who, leaseMs }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('release' as const), readerId: who }) },
  { weight: 3, arbitrary: fc.constant({ type: 'expire-lease' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('reassign' as const),
      toReaderId: fc.option(fc.constantFrom(...readers), { nil: null }),
      by: coordinator,
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('preliminary' as const), readerId: who }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('finalize' as const), readerId: who }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('mark-unreadable' as const),
      readerId: who,
      reason: fc.constant('motion'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('raise-exception' as const),
      queue,
      reason: fc.constant('flagged'),
      by: coordinator,
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('resolve-exception' as const), by: coordinator }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('broaden' as const),
      readerIds: fc.subarray(readers, { minLength: 1 }),
      reason: fc.constant('SLA escalation'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('reprioritise' as const),
      priority,
      reason: fc.constant('AI flag'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('addend' as const), readerId: who }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('cancel' as const),
      by: coordinator,
      reason: fc.constant('order cancelled'),
    }),
  },
);

// Mostly the pace of a reader at work, sometimes long enough for leases to run out.
const dtMs = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 * MIN }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 * MIN }) },
);

const step = fc.record({
  dtMs,
  command,
  // A second reader who tries to claim right after an accepted claim.
  rival: fc.constantFrom(...readers),
  rivalDtMs: fc.integer({ min: 0, max: 20 * MIN }),
});

const scenario = fc.record({
  priority,
  eligible: fc.uniqueArray(fc.constantFrom(...readers), { minLength: 1, maxLength: 5 }),
  steps: fc.array(step, { maxLength: 60, size: 'max' }),
});

function resolve(command: CaseCommand, c: CaseSnapshot): CaseCommand {
  if ('readerId' in command && command.readerId === OWNER) {
    return { ...command, readerId: c.ownerId ?? 'r-1' };
  }
  return command;
}

function mustApply(c: CaseSnapshot, command: CaseCommand, now: number): CaseSnapshot {
  const r = applyCaseCommand(c, command, now);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.snapshot;
}

/** A complete study at T0, pooled to `eligible` at T0 + 1 min. */
function routedCase(p: Priority, eligible: string[]): CaseSnapshot {
  const c = mustApply(newCase('c-1', { priority: p }), { type: 'study-complete' }, T0);
  return mustApply(
    c,
    {
      type: 'route',
      decision: {
        caseId: 'c-1',
        at: T0 + MIN,
        outcome: 'pooled',
        priority: p,
        slaClass: p,
        eligibleReaderIds: eligible,
        rules: [],
        candidates: [],
        summary: `pooled to ${eligible.length} readers`,
      },
    },
    T0 + MIN,
  );
}

function checkInvariants(c: CaseSnapshot): void {
  const closed = closedCaseStates.includes(c.state);
  // (1) one owner at most (ownerId is a single value), and one exactly in the owned states.
  assert.equal(c.ownerId !== null, caseStatesWithOwner.includes(c.state), `owner ${c.ownerId} in ${c.state}`);
  // (2) a lease exactly while in read.
  assert.equal(c.leaseExpiresAt !== null, c.state === 'in-read', `lease ${c.leaseExpiresAt} in ${c.state}`);
  assert.equal(
    c.exception !== null,
    c.state === 'exception',
    `exception ${c.exception?.queue} in ${c.state}`,
  );
  assert.equal(c.stateBeforeException !== undefined, c.state === 'exception');
  // (3) no case is lost: someone holds it, may claim it, or a coordinator sees it in a queue.
  if (!closed) {
    const held =
      c.state === 'exception' ||
      c.ownerId !== null ||
      (c.state === 'ready' && c.eligibleReaderIds.length > 0);
    assert.ok(held, `lost: ${c.state}, owner ${c.ownerId}, eligible [${c.eligibleReaderIds}]`);
  }
  assert.equal(new Set(c.eligibleReaderIds).size, c.eligibleReaderIds.length, 'eligible readers are unique');
  // (7) milestones in handoff order, when present.
  const present = milestoneOrder.map((m) => c.milestones[m]).filter((t) => t !== undefined);
  for (let i = 1; i < present.length; i++)
    assert.ok(present[i - 1]! <= present[i]!, `milestones out of order`);
}

test('property: any sequence of commands keeps a routed case owned, leased, findable and versioned', () => {
  const accepted = new Set<string>();
  fc.assert(
    fc.property(scenario, ({ priority: p, eligible, steps }) => {
      let c = routedCase(p, eligible);
      let events = c.version;
      let now = T0 + MIN;
      checkInvariants(c);
      for (const s of steps) {
        now += s.dtMs;
        const command = resolve(s.command, c);
        const before = structuredClone(c);
        const r = applyCaseCommand(c, command, now);
        assert.deepEqual(c, before, 'deciding never changes the snapshot');
        if (!r.ok) {
          assert.match(r.code, /^CONFER_ERR_CASE_/);
          assert.ok(r.message.length > 0);
          continue;
        }
        accepted.add(command.type);
        const next = r.snapshot;
        for (const e of r.events) assert.equal(e.at, now, 'every event is at now');
        // The resulting state is one the table allows for this command from this state.
        const allowed = caseTransitions[command.type][c.state];
        assert.ok(allowed?.includes(next.state), `${command.type}: ${c.state} -> ${next.state}`);
        // (4) only the owner's preliminary or final report is ever accepted.
        if (command.type === 'preliminary' || command.type === 'finalize') {
          assert.equal(c.ownerId, command.readerId);
        }
        // (5) version counts events.
        events += r.events.length;
        assert.equal(next.version, events);
        // (7) milestones never move once set.
        for (const m of milestoneOrder) {
          if (c.milestones[m] !== undefined) assert.equal(next.milestones[m], c.milestones[m], m);
        }
        checkInvariants(next);
        // (6) a rival who lost the race re-decides against the winner's snapshot and is refused while the lease runs.
        if (command.type === 'claim' && s.rival !== command.readerId) {
          const at = now + s.rivalDtMs;
          const rival = applyCaseCommand(next, { type: 'claim', readerId: s.rival, leaseMs: MIN }, at);
          if (at < next.leaseExpiresAt!) {
            assert.equal(rival.ok, false);
            assert.equal(rival.ok ? '' : rival.code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
            assert.equal(rival.ok ? '' : rival.ownerId, command.readerId);
          } else if (rival.ok) {
            assert.equal(rival.snapshot.ownerId, s.rival);
          } else {
            assert.equal(rival.code, 'CONFER_ERR_CASE_NOT_ELIGIBLE');
          }
        }
        c = next;
      }
    }),
    { numRuns: 400 },
  );
  // Guard against a vacuous property: every command was accepted somewhere.
  assert.deepEqual([...accepted].sort(), [
    'addend',
    'broaden',
    'cancel',
    'claim',
    'expire-lease',
    'finalize',
    'heartbeat',
    'mark-unreadable',
    'preliminary',
    'raise-exception',
    'reassign',
    'release',
    'reprioritise',
    'resolve-exception',
  ]);
});

test('property: of two readers racing for the same ready case, exactly one wins', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.constantFrom(...readers), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 0, max: 60 * MIN }),
      leaseMs,
      (eligible, dtMs, lease) => {
        const c = routedCase('stat', eligible);
        const [a, b] = eligible as [string, string];
        const now = T0 + MIN + dtMs;
        // Both decide against the same version; the store applies only the first to commit.
        const first = applyCaseCommand(c, { type: 'claim', readerId: a, leaseMs: lease }, now);
        const second = applyCaseCommand(c, { type: 'claim', readerId: b, leaseMs: lease }, now);
        assert.ok(first.ok && second.ok);
        assert.equal(first.snapshot.version, second.snapshot.version, 'both target the same next version');
        const retry = applyCaseCommand(first.snapshot, { type: 'claim', readerId: b, leaseMs: lease }, now);
        assert.equal(retry.ok, false);
        assert.equal(retry.ok ? '' : retry.ownerId, a);
        assert.equal(retry.ok ? undefined : retry.since, now);
      },
    ),
  );
});
