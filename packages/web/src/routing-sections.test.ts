/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeActions,
  describeConditions,
  describeTarget,
  describeWorkFilter,
  formatDays,
  formatHours,
  parseSectionJson,
  pathInSection,
} from './routing-sections.ts';

test('formatDays writes runs of days as ranges', () => {
  assert.equal(formatDays(['mon', 'tue', 'wed', 'thu', 'fri']), 'Mon–Fri');
  assert.equal(formatDays(['sat', 'sun']), 'Sat, Sun');
  assert.equal(formatDays(['mon', 'tue', 'wed', 'sat']), 'Mon–Wed, Sat');
  assert.equal(formatDays(['sun', 'sat', 'fri', 'thu', 'wed', 'tue', 'mon']), 'Every day');
  assert.equal(formatDays([]), 'No days');
});

test('formatHours marks overnight and round-the-clock shifts', () => {
  assert.equal(formatHours('08:00', '18:00'), '08:00–18:00');
  assert.equal(formatHours('20:00', '08:00'), '20:00–08:00 (overnight)');
  assert.equal(formatHours('00:00', '00:00'), '00:00–00:00 (24 h)');
});

test('what a shift covers', () => {
  assert.equal(describeWorkFilter({}), 'All work');
  assert.equal(
    describeWorkFilter({ modalities: ['CT', 'MR'], siteIds: ['north'] }),
    'modality CT, MR · site north',
  );
});

test('rule conditions, targets and actions in words', () => {
  assert.deepEqual(
    describeConditions({
      modalities: ['CT'],
      priorities: ['stat', 'urgent'],
      aiFlags: ['ich'],
      studyAgeMinutes: { min: 30 },
      uncovered: true,
    }),
    [
      'modality CT',
      'priority stat or urgent',
      'AI flag ich',
      'waiting at least 30 min',
      'no covering reader on shift',
    ],
  );
  assert.deepEqual(describeConditions(undefined), []);
  assert.equal(describeTarget({ kind: 'pool', poolId: 'neuro' }), 'Pool neuro (on shift)');
  assert.equal(describeTarget(undefined), "Readers on shifts covering the case's site");
  assert.equal(describeTarget({ kind: 'anyone-on-shift' }), 'Anyone on shift, anywhere');
  assert.deepEqual(describeActions({ raisePriority: 'stat', require: { subspecialties: ['neuro'] } }), [
    'raise priority to stat',
    'requires neuro',
  ]);
});

test('parseSectionJson says where a syntax error is', () => {
  assert.deepEqual(parseSectionJson('[1, 2]'), { ok: true, value: [1, 2] });
  const bad = parseSectionJson('[\n  {"id": 1,}\n]');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.message, /line 2/);
  assert.equal(parseSectionJson('  ').ok, false);
});

test('pathInSection recognises the usual JSON path spellings', () => {
  assert.equal(pathInSection('rules[0].when', 'rules'), true);
  assert.equal(pathInSection('$.rules[0]', 'rules'), true);
  assert.equal(pathInSection('/rules/0', 'rules'), true);
  assert.equal(pathInSection('rules', 'rules'), true);
  assert.equal(pathInSection('rulesets[0]', 'rules'), false);
  assert.equal(pathInSection('rosters[1].readerId', 'rules'), false);
});
