/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handoffs, Milestone, timelineRows } from './case-timeline.ts';
import type { TimelineEvent } from './worklist-model.ts';

const t = (minute: number, second = 0) => new Date(Date.UTC(2024, 6, 1, 10, minute, second)).toISOString();
const names: Record<string, string> = { 'r-1': 'Dr Ada Lovelace', 'r-2': 'Dr Alan Turing' };
const nameOf = (id: string) => names[id] ?? id;

const events: TimelineEvent[] = [
  { at: t(2), type: 'case:available', actor: 'confer', detail: { acquiredAt: Date.UTC(2024, 6, 1, 10, 0) } },
  {
    at: t(3),
    type: 'case:routed',
    actor: 'routing',
    detail: { eligibleReaderIds: ['r-1', 'r-2'], ruleId: 'neuro' },
  },
  { at: t(10), type: 'case:claimed', actor: 'r-1', detail: { readerId: 'r-1' } },
  { at: t(10, 30), type: 'case:lease-renewed', actor: 'r-1', detail: { readerId: 'r-1' } },
  { at: t(11), type: 'case:lease-renewed', actor: 'r-1', detail: { readerId: 'r-1' } },
  { at: t(11, 30), type: 'case:lease-renewed', actor: 'r-1', detail: { readerId: 'r-1' } },
  {
    at: t(12),
    type: 'case:released',
    actor: 'r-1',
    detail: { readerId: 'r-1', reason: 'wrong subspecialty' },
  },
  { at: t(20), type: 'case:claimed', actor: 'r-2', detail: { readerId: 'r-2' } },
  { at: t(25), type: 'sla:at-risk', actor: 'confer', detail: { span: 'available->final' } },
  { at: t(40), type: 'case:finalized', actor: 'r-2', detail: { readerId: 'r-2' } },
];

test('handoffs take the first time each milestone was reached and time each handoff', () => {
  const h = handoffs(events);
  assert.deepEqual(
    h.map((x) => [x.milestone, x.atMs === null ? null : new Date(x.atMs).toISOString(), x.sincePreviousMs]),
    [
      [Milestone.Acquired, t(0), null],
      [Milestone.Available, t(2), 120_000],
      [Milestone.Routed, t(3), 60_000],
      [Milestone.Opened, t(10), 7 * 60_000],
      [Milestone.Preliminary, null, null],
      // Final straight from in-read: timed from the last milestone reached, opened.
      [Milestone.Final, t(40), 30 * 60_000],
    ],
  );
});

test('timeline rows describe each event with names and the time since the previous one', () => {
  const rows = timelineRows(events, nameOf);
  assert.deepEqual(
    rows.map((r) => r.label),
    ['Available', 'Routed', 'Claimed', 'Lease renewed', 'Released', 'Claimed', 'SLA at risk', 'Final'],
  );
  const routed = rows[1]!;
  assert.equal(routed.description, '2 eligible readers by rule neuro');
  assert.equal(routed.actor, 'Routing engine');
  assert.equal(routed.sincePreviousMs, 60_000);
  assert.equal(rows[0]?.sincePreviousMs, null);
  assert.equal(rows[2]?.description, 'by Dr Ada Lovelace');
  assert.equal(rows[2]?.actor, 'Dr Ada Lovelace');
  assert.equal(rows[2]?.milestone, Milestone.Opened);
  assert.equal(rows[5]?.milestone, null, 'only the first claim opens the case');
  assert.equal(rows[4]?.description, 'by Dr Ada Lovelace — wrong subspecialty');
  assert.equal(rows[6]?.tone, 'warning');
  assert.equal(rows[7]?.tone, 'good');
  assert.equal(rows[7]?.sincePreviousMs, 15 * 60_000);
});

test('a run of lease renewals collapses into one row that counts them', () => {
  const renewals = timelineRows(events, nameOf)[3]!;
  assert.equal(renewals.count, 3);
  assert.equal(renewals.at, t(11, 30));
  assert.equal(renewals.sincePreviousMs, 30_000, 'timed from the claim to the first renewal');
});

test('reassignment and exceptions read as sentences', () => {
  const rows = timelineRows(
    [
      {
        at: t(1),
        type: 'case:reassigned',
        actor: 'coord',
        detail: { by: 'coord', fromReaderId: 'r-1', toReaderId: null, reason: 'leave' },
      },
      {
        at: t(2),
        type: 'case:exception-raised',
        actor: 'ai',
        detail: { queue: 'protocol-mismatch', reason: 'AI flagged a protocol mismatch', by: 'ai' },
      },
      {
        at: t(3),
        type: 'case:reprioritised',
        actor: 'confer',
        detail: { priority: 'stat', reason: 'AI suspects ICH' },
      },
      { at: t(4), type: 'something:new', actor: null, detail: {} },
    ],
    nameOf,
  );
  assert.equal(rows[0]?.description, 'from Dr Ada Lovelace back to the shared worklist by coord — leave');
  assert.equal(
    rows[1]?.description,
    'sent to protocol-mismatch by AI triage — AI flagged a protocol mismatch',
  );
  assert.equal(rows[1]?.tone, 'danger');
  assert.equal(rows[2]?.description, 'to STAT — AI suspects ICH');
  assert.equal(rows[3]?.label, 'something:new');
  assert.equal(rows[3]?.actor, null);
});

test('an assignment is the routing engine acting, whoever it names', () => {
  const [row] = timelineRows(
    [{ at: t(1), type: 'case:assigned', actor: 'r-1', detail: { readerId: 'r-1' } }],
    nameOf,
  );
  assert.equal(row?.actor, 'Routing engine');
  assert.equal(row?.description, 'to Dr Ada Lovelace');
});

test('a critical result adds the communicated and acknowledged handoffs and describes both', () => {
  const critical: TimelineEvent[] = [
    ...events,
    {
      at: t(41),
      type: 'case:critical-communicated',
      actor: 'dr.reader',
      detail: { resultId: 'CR-1', recipient: 'dr.clinician', channel: 'app', by: 'dr.reader' },
    },
    {
      at: t(50),
      type: 'case:critical-acknowledged',
      actor: 'dr.backup',
      detail: { resultId: 'CR-1', recipient: 'dr.backup', channel: 'link', by: 'dr.backup' },
    },
  ];
  const h = handoffs(critical);
  assert.deepEqual(
    h.slice(-2).map((x) => [x.milestone, x.sincePreviousMs]),
    [
      [Milestone.Communicated, 60_000],
      [Milestone.Acknowledged, 9 * 60_000],
    ],
  );
  const rows = timelineRows(critical, (id) => id);
  assert.deepEqual(
    rows.slice(-2).map((r) => [r.label, r.description, r.milestone]),
    [
      ['Critical result communicated', 'to dr.clinician (in the app), CR-1', 'communicated'],
      ['Critical result acknowledged', 'by dr.backup (acknowledgement link), CR-1', 'acknowledged'],
    ],
  );
});
