import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timelineRows } from './case-timeline.ts';
import { describeConsultEvent } from './consult-timeline.ts';

test('consult events are worded on the case timeline, the answer included', () => {
  const rows = timelineRows(
    [
      {
        at: '2026-03-10T14:00:00.000Z',
        type: 'case:consult-requested',
        actor: 'ben',
        detail: { kind: 'second-opinion', target: 'Neuroradiology', question: 'Infarct?' },
      },
      {
        at: '2026-03-10T14:20:00.000Z',
        type: 'case:consult-answered',
        actor: 'dee',
        detail: { kind: 'second-opinion', consultant: 'Dr Dee Okoro', answer: 'Yes, early left MCA.' },
      },
    ],
    (id) => id,
  );
  assert.deepEqual(
    rows.map((r) => [r.label, r.description, r.tone]),
    [
      ['Second opinion requested', 'of Neuroradiology: “Infarct?”', 'normal'],
      ['Second opinion answered', 'by Dr Dee Okoro: “Yes, early left MCA.”', 'good'],
    ],
  );
  assert.equal(describeConsultEvent('case:claimed', {}), null);
  assert.equal(describeConsultEvent('case:consult-expired', { kind: 'consult' })?.tone, 'danger');
});
