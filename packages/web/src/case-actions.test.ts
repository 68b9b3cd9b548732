/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedActions, type Caller, CaseAction, claimBlocker, leaseLapsed } from './case-actions.ts';
import { caseSummary } from './case-fixtures.ts';

const now = Date.parse('2024-07-01T10:00:00.000Z');
const reader: Caller = { readerId: 'r-1', canRead: true, canManage: false };
const coordinator: Caller = { readerId: null, canRead: false, canManage: true };
const sorted = (s: Set<string>) => [...s].sort();

test('a reader may claim a ready case, and an assigned one only when it is theirs', () => {
  assert.deepEqual(sorted(allowedActions(caseSummary({ state: 'ready' }), reader, now)), [CaseAction.Claim]);
  const assignedToMe = caseSummary({ state: 'assigned', ownerId: 'r-1' });
  assert.deepEqual(sorted(allowedActions(assignedToMe, reader, now)), ['claim', 'release']);
  assert.deepEqual(sorted(allowedActions({ ...assignedToMe, ownerId: 'r-2' }, reader, now)), []);
});

test('the case page narrows Claim on a ready case to eligible readers', () => {
  const ready = caseSummary({ state: 'ready' });
  assert.equal(allowedActions(ready, reader, now, ['r-2']).has(CaseAction.Claim), false);
  assert.equal(allowedActions(ready, reader, now, ['r-1']).has(CaseAction.Claim), true);
});

test('the owner of a case in read may finish it, mark it unreadable or give it back', () => {
  const mine = caseSummary({ state: 'in-read', ownerId: 'r-1', leaseExpiresAt: '2024-07-01T10:02:00.000Z' });
  assert.deepEqual(sorted(allowedActions(mine, reader, now)), [
    'final',
    'preliminary',
    'release',
    'unreadable',
  ]);
  assert.deepEqual(sorted(allowedActions({ ...mine, state: 'preliminary' }, reader, now)), ['final']);
});

test('a case in read by someone else cannot be claimed until the lease lapses', () => {
  const theirs = caseSummary({
    state: 'in-read',
    ownerId: 'r-2',
    leaseExpiresAt: '2024-07-01T10:02:00.000Z',
  });
  assert.deepEqual(sorted(allowedActions(theirs, reader, now)), []);
  const names = (id: string) => (id === 'r-2' ? 'Dr Turing' : id);
  assert.equal(claimBlocker(theirs, reader, now, names), 'In read by Dr Turing');
  const later = Date.parse('2024-07-01T10:02:00.000Z');
  assert.equal(leaseLapsed(theirs, later), true);
  assert.deepEqual(sorted(allowedActions(theirs, reader, later)), ['claim']);
  assert.equal(claimBlocker(theirs, reader, later, names), null);
});

test('a user who is not in the reader directory is offered no reading action', () => {
  const notAReader: Caller = { readerId: null, canRead: true, canManage: false };
  assert.deepEqual(sorted(allowedActions(caseSummary(), notAReader, now)), []);
  const held = caseSummary({ state: 'in-read', ownerId: 'r-2', leaseExpiresAt: '2024-07-01T10:02:00.000Z' });
  assert.equal(
    claimBlocker(held, notAReader, now, (id) => id),
    null,
  );
  assert.equal(
    claimBlocker(held, coordinator, now, (id) => id),
    null,
    'coordinators see the owner column',
  );
});

test('coordinators reassign, reprioritise and handle exceptions', () => {
  assert.deepEqual(
    sorted(allowedActions(caseSummary({ state: 'in-read', ownerId: 'r-2' }), coordinator, now)),
    ['exception', 'priority', 'reassign'],
  );
  const unroutable = caseSummary({
    state: 'exception',
    exception: { queue: 'unroutable', reason: 'nobody' },
  });
  assert.deepEqual(sorted(allowedActions(unroutable, coordinator, now)), ['priority', 'reassign', 'resolve']);
  const unreadable = { ...unroutable, exception: { queue: 'unreadable', reason: 'motion' } };
  assert.deepEqual(sorted(allowedActions(unreadable, coordinator, now)), ['priority', 'resolve']);
  assert.deepEqual(sorted(allowedActions(caseSummary({ state: 'final' }), coordinator, now)), []);
});
