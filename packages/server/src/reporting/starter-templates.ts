import type { ReportTemplate } from '@confer/core';

/**
 * A small starter set of report templates (the demo seeds them; an installation edits or replaces them):
 * CT head, CT chest/abdomen, MR brain, chest radiograph, and a generic fallback for anything else.
 */
export const STARTER_TEMPLATES: readonly ReportTemplate[] = [
  {
    id: 'ct-head',
    name: 'CT head',
    title: 'CT head without contrast',
    match: { modalities: ['CT'], bodyParts: ['HEAD', 'BRAIN'] },
    sections: [
      {
        id: 'clinical',
        title: 'Clinical information',
        kind: 'text',
        hint: 'The question asked by the referrer',
      },
      {
        id: 'technique',
        title: 'Technique',
        kind: 'text',
        defaultText: 'Non-contrast axial CT of the head with multiplanar reformats.',
      },
      {
        id: 'haemorrhage',
        title: 'Haemorrhage',
        kind: 'single',
        required: true,
        choices: [
          { id: 'none', label: 'None', phrase: 'No intracranial haemorrhage.' },
          { id: 'sdh', label: 'Subdural', phrase: 'Acute subdural haematoma.' },
          { id: 'sah', label: 'Subarachnoid', phrase: 'Subarachnoid haemorrhage.' },
          { id: 'ich', label: 'Intraparenchymal', phrase: 'Intraparenchymal haemorrhage.' },
        ],
      },
      {
        id: 'parenchyma',
        title: 'Brain parenchyma',
        kind: 'multi',
        choices: [
          { id: 'normal', label: 'Normal', phrase: 'Grey-white matter differentiation is preserved.' },
          {
            id: 'infarct',
            label: 'Early infarct',
            phrase: 'Loss of grey-white differentiation suggesting early infarction.',
          },
          {
            id: 'smallvessel',
            label: 'Small vessel disease',
            phrase: 'Periventricular low attenuation in keeping with small vessel disease.',
          },
          { id: 'atrophy', label: 'Atrophy', phrase: 'Generalised volume loss appropriate for age.' },
        ],
      },
      {
        id: 'measurements',
        title: 'Measurements',
        kind: 'measurements',
        slots: [
          { id: 'midline-shift', label: 'Midline shift', unit: 'mm' },
          { id: 'haematoma-thickness', label: 'Haematoma thickness', unit: 'mm' },
        ],
      },
      {
        id: 'other',
        title: 'Other findings',
        kind: 'text',
        defaultText: 'The ventricles and basal cisterns are normal.',
      },
    ],
    impression: { hint: 'One or two sentences answering the clinical question' },
  },
  {
    id: 'ct-chest-abdomen',
    name: 'CT chest / abdomen',
    title: 'CT chest, abdomen and pelvis',
    match: { modalities: ['CT'], bodyParts: ['CHEST', 'ABDOMEN', 'PELVIS', 'CHESTABDOMEN'] },
    sections: [
      { id: 'clinical', title: 'Clinical information', kind: 'text' },
      {
        id: 'technique',
        title: 'Technique',
        kind: 'single',
        choices: [
          {
            id: 'portal',
            label: 'Portal venous',
            phrase: 'Contrast-enhanced CT in the portal venous phase.',
          },
          {
            id: 'arterial',
            label: 'Arterial and portal',
            phrase: 'Contrast-enhanced CT in the arterial and portal venous phases.',
          },
          { id: 'plain', label: 'Non-contrast', phrase: 'Non-contrast CT.' },
        ],
      },
      {
        id: 'lungs',
        title: 'Lungs and pleura',
        kind: 'text',
        required: true,
        defaultText: 'The lungs are clear. No pleural effusion.',
      },
      { id: 'abdomen', title: 'Abdomen and pelvis', kind: 'text', required: true },
      {
        id: 'lesions',
        title: 'Target lesions',
        kind: 'measurements',
        slots: [
          { id: 'lesion-1', label: 'Target lesion 1', unit: 'mm' },
          { id: 'lesion-2', label: 'Target lesion 2', unit: 'mm' },
        ],
      },
    ],
    impression: {},
  },
  {
    id: 'mr-brain',
    name: 'MR brain',
    title: 'MRI brain',
    match: { modalities: ['MR'], bodyParts: ['BRAIN', 'HEAD'] },
    sections: [
      { id: 'clinical', title: 'Clinical information', kind: 'text' },
      { id: 'technique', title: 'Technique', kind: 'text', defaultText: 'Axial T1, T2 and FLAIR sequences.' },
      {
        id: 'findings',
        title: 'Findings',
        kind: 'multi',
        required: true,
        choices: [
          { id: 'normal', label: 'Normal', phrase: 'No focal parenchymal signal abnormality.' },
          {
            id: 'wmh',
            label: 'White matter lesions',
            phrase: 'Scattered T2/FLAIR white matter hyperintensities.',
          },
          { id: 'mass', label: 'Mass', phrase: 'There is a space-occupying lesion.' },
        ],
      },
      {
        id: 'measurements',
        title: 'Measurements',
        kind: 'measurements',
        slots: [{ id: 'lesion', label: 'Lesion', unit: 'mm' }],
      },
    ],
    impression: {},
  },
  {
    id: 'chest-xray',
    name: 'Chest radiograph',
    title: 'Chest radiograph',
    match: { modalities: ['CR', 'DX'], bodyParts: ['CHEST'] },
    sections: [
      {
        id: 'findings',
        title: 'Findings',
        kind: 'multi',
        required: true,
        choices: [
          { id: 'clear', label: 'Lungs clear', phrase: 'The lungs are clear.' },
          { id: 'heart', label: 'Heart normal', phrase: 'The heart is not enlarged.' },
          { id: 'effusion', label: 'Effusion', phrase: 'There is a pleural effusion.' },
          { id: 'ptx', label: 'Pneumothorax', phrase: 'There is a pneumothorax.' },
          { id: 'lines', label: 'Lines and tubes', phrase: 'Lines and tubes are satisfactorily positioned.' },
        ],
      },
    ],
    impression: { defaultText: '' },
  },
  {
    id: 'generic',
    name: 'Generic report',
    title: 'Imaging report',
    match: {},
    sections: [
      { id: 'clinical', title: 'Clinical information', kind: 'text' },
      { id: 'technique', title: 'Technique', kind: 'text' },
      { id: 'findings', title: 'Findings', kind: 'text', required: true },
    ],
    impression: {},
  },
];
