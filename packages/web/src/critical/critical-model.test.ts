/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CriticalCommunication, CriticalResult } from './critical-api.ts';
import {
  ackTokenFromHash,
  categoryLabel,
  describeCommunication,
  isAddressedTo,
  ladderPosition,
} from './critical-model.ts';

const comm = (over: Partial<CriticalCommunication> = {}): CriticalCommunication => ({
  id: 'CR-1/1',
  step: 0,
  channel: 'email',
  recipient: 'dr.backup',
  sentBy: 'confer',
  at: '2026-11-24T10:00:00Z',
  status: 'pending',
  deliveredAt: null,
  openedAt: null,
  acknowledgedAt: null,
  error: null,
  ...over,
});

test('communications in words: the furthest it got', () => {
  assert.equal(describeCommunication(comm()), 'to dr.backup e-mail — sending');
  assert.equal(describeCommunication(comm({ status: 'delivered' })), 'to dr.backup e-mail — delivered');
  assert.equal(
    describeCommunication(comm({ status: 'delivered', openedAt: 'x' })),
    'to dr.backup e-mail — opened',
  );
  assert.equal(
    describeCommunication(comm({ status: 'failed', error: 'SMTP 550' })),
    'to dr.backup e-mail — failed: SMTP 550',
  );
  assert.equal(
    describeCommunication(comm({ channel: 'phone', recipient: 'dr.chief', sentBy: 'olive' })),
    'dr.chief by phone read-back (recorded by olive)',
  );
});

test('labels, ladder position and who it is addressed to', () => {
  assert.equal(categoryLabel('unexpected-significant'), 'Unexpected significant');
  assert.equal(categoryLabel('other'), 'other');
  const r = {
    state: 'open',
    step: 1,
    stepName: 'Backup clinician',
    rungs: [{}, {}, {}],
    communications: [comm({ recipient: 'dr.a' }), comm({ recipient: 'dr.b', channel: 'phone' })],
  } as unknown as CriticalResult;
  assert.equal(ladderPosition(r), 'Backup clinician (rung 2 of 3)');
  assert.equal(ladderPosition({ ...r, state: 'overdue' }), 'Ladder exhausted after Backup clinician');
  assert.equal(isAddressedTo(r, 'dr.a'), true);
  assert.equal(isAddressedTo(r, 'dr.b'), false);
});

test('acknowledgement links: only #/ack/<token> with a plausible token', () => {
  const token = 'a'.repeat(43);
  assert.equal(ackTokenFromHash(`#/ack/${token}`), token);
  assert.equal(ackTokenFromHash('#/ack/short'), null);
  assert.equal(ackTokenFromHash(`#/ack/${token}?x=1`), null);
  assert.equal(ackTokenFromHash('#/critical'), null);
});
