import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { contentFromTemplate, insertMeasurement, missingRequired, toggleChoice } from './report-content.ts';
import { type ReportTemplate, type TemplateSection, validateReportTemplate } from './template.ts';
import { selectTemplate } from './template-selection.ts';

const ctHead: ReportTemplate = {
  id: 'ct-head',
  name: 'CT head',
  title: 'CT HEAD',
  match: { modalities: ['CT'], bodyParts: ['HEAD', 'BRAIN'] },
  sections: [
    {
      id: 'technique',
      title: 'Technique',
      kind: 'text',
      defaultText: 'Axial CT of the head without contrast.',
    },
    {
      id: 'haemorrhage',
      title: 'Haemorrhage',
      kind: 'single',
      required: true,
      choices: [
        { id: 'none', label: 'None', phrase: 'No intracranial haemorrhage.' },
        { id: 'sah', label: 'SAH', phrase: 'Subarachnoid haemorrhage.' },
      ],
    },
    {
      id: 'other',
      title: 'Other findings',
      kind: 'multi',
      choices: [
        { id: 'atrophy', label: 'Atrophy', phrase: 'Age-appropriate atrophy.' },
        { id: 'sinus', label: 'Sinus disease', phrase: 'Mild mucosal thickening of the maxillary sinuses.' },
      ],
    },
    {
      id: 'measure',
      title: 'Measurements',
      kind: 'measurements',
      slots: [{ id: 'mls', label: 'Midline shift', unit: 'mm' }],
    },
  ],
  impression: {},
  active: true,
};
const ctAny: ReportTemplate = { ...ctHead, id: 'ct-any', name: 'CT (any)', match: { modalities: ['CT'] } };
const neuroCtHead: ReportTemplate = {
  ...ctHead,
  id: 'ct-head-neuro',
  name: 'CT head (neuro)',
  match: { ...ctHead.match, specialties: ['neuro'] },
};
const fallback: ReportTemplate = { ...ctHead, id: 'generic', name: 'Generic', match: {} };

test('a valid template passes and keeps only what it understands', () => {
  const v = validateReportTemplate(ctHead);
  assert.ok(v.ok, JSON.stringify(v));
  assert.deepEqual(v.template, ctHead);
});

test('every problem is reported with its JSON path', () => {
  const v = validateReportTemplate({
    id: 'Bad Id',
    name: 'x',
    title: '',
    match: { modalities: [], colour: 'red' },
    sections: [
      { id: 'a', title: 'A', kind: 'single' },
      { id: 'a', title: 'A2', kind: 'pick-one', choices: [{ id: 'c', label: 'C' }] },
      { id: 'm', title: 'M', kind: 'measurements', slots: [{ id: 's', label: 'S', unit: 7 }] },
    ],
    extra: true,
  });
  assert.equal(v.ok, false);
  if (v.ok) return;
  const paths = v.errors.map((e) => e.path);
  for (const p of [
    'extra',
    'id',
    'title',
    'match.colour',
    'match.modalities',
    'sections[0].choices',
    'sections[1].id',
    'sections[1].kind',
    'sections[1].choices[0].phrase',
    'sections[2].slots[0].unit',
  ])
    assert.ok(paths.includes(p), `expected an error at ${p}; got ${paths.join(', ')}`);
  assert.match(v.errors.find((e) => e.path === 'sections[1].id')!.message, /duplicate section id "a"/);
});

test('not an object at all', () => {
  assert.deepEqual(validateReportTemplate([]), {
    ok: false,
    errors: [{ path: '', message: 'must be an object, not an array' }],
  });
});

test('the most specific matching template wins, and the choice is explained', () => {
  const all = [fallback, ctAny, ctHead, neuroCtHead];
  const head = { modalities: ['CT'], bodyParts: ['HEAD'], specialties: ['general'] };
  const s = selectTemplate(all, head);
  assert.equal(s.template?.id, 'ct-head');
  assert.match(
    s.summary,
    /"CT head": modality CT, body part HEAD; the most specific of 3 matching templates/,
  );
  const neuro = selectTemplate(all, { ...head, specialties: ['neuro'] });
  assert.equal(neuro.template?.id, 'ct-head-neuro');
  const chest = selectTemplate(all, { modalities: ['CT'], bodyParts: ['CHEST'], specialties: [] });
  assert.equal(chest.template?.id, 'ct-any');
  const xray = selectTemplate(all, { modalities: ['CR'], bodyParts: ['CHEST'], specialties: [] });
  assert.equal(xray.template?.id, 'generic');
  assert.match(xray.summary, /fallback/);
  const rejected = xray.candidates.find((c) => c.templateId === 'ct-head')!;
  assert.equal(rejected.matched, false);
  assert.deepEqual(rejected.why, ['modality CR is not CT', 'body part CHEST is not HEAD or BRAIN']);
});

test('no template, inactive templates, procedure match, ties broken by id', () => {
  assert.equal(selectTemplate([], { modalities: [], bodyParts: [], specialties: [] }).template, undefined);
  const off = { ...fallback, active: false };
  const none = selectTemplate([off], { modalities: ['CT'], bodyParts: [], specialties: [] });
  assert.equal(none.template, undefined);
  assert.match(none.summary, /No active report template/);
  const byProc: ReportTemplate = {
    ...ctHead,
    id: 'b-chest-abdo',
    match: { modalities: ['CT'], procedures: ['chest'] },
  };
  const twin: ReportTemplate = { ...byProc, id: 'a-chest-abdo' };
  const s = selectTemplate([byProc, twin, ctAny], {
    modalities: ['CT'],
    bodyParts: [],
    procedure: 'CT CHEST ABDOMEN PELVIS',
    specialties: [],
  });
  assert.equal(s.template?.id, 'a-chest-abdo');
  assert.match(s.summary, /tied with 1, chosen by id/);
});

test('property: the chosen template matches and no matching template is more specific', () => {
  const pick = <T>(xs: T[]) => fc.subarray(xs, { minLength: 0, maxLength: 2 });
  const tpl = fc
    .record({
      id: fc.stringMatching(/^[a-z]{1,4}$/),
      modalities: pick(['CT', 'MR']),
      bodyParts: pick(['HEAD', 'CHEST']),
    })
    .map(
      ({ id, modalities, bodyParts }): ReportTemplate => ({
        ...ctHead,
        id,
        match: { ...(modalities.length ? { modalities } : {}), ...(bodyParts.length ? { bodyParts } : {}) },
      }),
    );
  fc.assert(
    fc.property(
      fc.array(tpl, { maxLength: 6 }),
      fc.constantFrom('CT', 'MR', 'CR'),
      fc.constantFrom('HEAD', 'CHEST'),
      (ts, m, b) => {
        const s = selectTemplate(ts, { modalities: [m], bodyParts: [b], specialties: [] });
        const matching = s.candidates.filter((c) => c.matched);
        if (!s.template) return matching.length === 0;
        const chosen = s.candidates.find((c) => c.templateId === s.template!.id)!;
        return chosen.matched && matching.every((c) => c.specificity <= chosen.specificity);
      },
    ),
  );
});

const single = ctHead.sections[1]!;
const multi = ctHead.sections[2]!;

test('a single pick-list swaps its phrase; a multi pick-list adds and removes phrases', () => {
  let s = toggleChoice(single, { text: '', choiceIds: [] }, 'none');
  assert.deepEqual(s, { text: 'No intracranial haemorrhage.', choiceIds: ['none'] });
  s = toggleChoice(single, s, 'sah');
  assert.deepEqual(s, { text: 'Subarachnoid haemorrhage.', choiceIds: ['sah'] });
  let m = toggleChoice(multi, { text: 'Ventricles normal.', choiceIds: [] }, 'atrophy');
  m = toggleChoice(multi, m, 'sinus');
  assert.equal(
    m.text,
    'Ventricles normal. Age-appropriate atrophy. Mild mucosal thickening of the maxillary sinuses.',
  );
  m = toggleChoice(multi, m, 'atrophy');
  assert.deepEqual(m, {
    text: 'Ventricles normal. Mild mucosal thickening of the maxillary sinuses.',
    choiceIds: ['sinus'],
  });
  assert.deepEqual(toggleChoice(multi, m, 'nope'), m);
});

test('property: picking and unpicking a choice gives the text back', () => {
  const section = fc.constantFrom<TemplateSection>(single, multi);
  fc.assert(
    fc.property(section, fc.string({ maxLength: 30 }), fc.nat(1), (sec, text, k) => {
      const id = sec.choices![k]!.id;
      const once = toggleChoice(sec, { text, choiceIds: [] }, id);
      assert.ok(once.text.includes(sec.choices![k]!.phrase));
      const twice = toggleChoice(sec, once, id);
      assert.deepEqual(twice.choiceIds, []);
      assert.equal(twice.text.trimEnd(), text.trimEnd());
    }),
  );
});

test('a draft from a template, measurements and required sections', () => {
  const c = contentFromTemplate(ctHead);
  assert.equal(c.sections[0]!.text, 'Axial CT of the head without contrast.');
  assert.deepEqual(missingRequired(c), ['Haemorrhage', 'Impression']);
  const withM = insertMeasurement(c, 'measure', {
    label: 'Midline shift',
    value: 4.56789,
    unit: 'mm',
    where: 'series 2, image 14',
    slotId: 'mls',
  });
  assert.equal(withM.sections[3]!.text, 'Midline shift: 4.57 mm (series 2, image 14).');
  assert.equal(withM.measurements.length, 1);
  assert.equal(c.measurements.length, 0, 'the input is not changed');
});
