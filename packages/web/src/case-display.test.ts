/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aiBadgeText, caseLabel, patientDisplayName, procedureText } from './case-display.ts';
import { caseSummary } from './case-fixtures.ts';

test('patient and procedure read as a person writes them', () => {
  assert.equal(patientDisplayName(caseSummary({ patientName: 'DOE^JANE^Q' })), 'DOE, JANE Q');
  assert.equal(patientDisplayName(caseSummary({ patientName: null })), 'Unnamed patient');
  assert.equal(
    procedureText(caseSummary({ procedure: null, modalities: ['CT'], bodyParts: ['HEAD'] })),
    'CT HEAD',
  );
  assert.equal(procedureText(caseSummary({ procedure: ' ', modalities: [], bodyParts: [] })), '—');
  assert.equal(caseLabel(caseSummary()), 'Doe, Jane — CT head without contrast');
});

test('the AI badge names the finding from the priority reason when there is one', () => {
  assert.equal(
    aiBadgeText({
      aiFlags: ['suspected-critical'],
      priorityReasons: ['AI suspects ICH (confidence 0.93), from NeuroTriage 2.1'],
    }),
    'AI: suspected ICH',
  );
  assert.equal(
    aiBadgeText({ aiFlags: ['suspected-critical', 'ich'], priorityReasons: [] }),
    'AI: suspected ICH',
  );
  assert.equal(
    aiBadgeText({ aiFlags: ['suspected-critical'], priorityReasons: [] }),
    'AI: suspected critical finding',
  );
  assert.equal(
    aiBadgeText({ aiFlags: ['nodule-followup'], priorityReasons: ['rule: stroke'] }),
    'AI: nodule followup',
  );
  assert.equal(aiBadgeText({ aiFlags: [], priorityReasons: ['Ordered STAT'] }), null);
});
