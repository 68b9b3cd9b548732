import type { SignedReport } from '@confer/core';

/** A synthetic signed report with every part an output must carry, including the characters HL7 escapes. */
export function signedReportFixture(overrides: Partial<SignedReport> = {}): SignedReport {
  return {
    reportId: 'R-TEST0001',
    caseId: 'C-TEST0001',
    version: 1,
    kind: 'final',
    studyUid: '1.2.826.0.1.3680043.10.1234.1.1',
    accessionNumber: 'ACC12345',
    patient: {
      id: 'PAT-0042',
      issuer: 'NORTHVALE',
      name: 'QUILLFEATHER^MARGOT^J',
      birthDate: '19610314',
      sex: 'F',
    },
    procedure: 'CT HEAD WITHOUT CONTRAST',
    modalities: ['CT'],
    bodyParts: ['HEAD'],
    siteId: 'northvale-hub',
    orderingClinician: { id: 'DR-77', name: 'Dr Petra Lind' },
    author: { userId: '12', readerId: 'r-ada', name: 'Dr Ada Quill' },
    signedAt: Date.parse('2026-03-10T14:20:00Z'),
    observedAt: Date.parse('2026-03-10T13:55:00Z'),
    templateId: 'ct-head',
    title: 'CT head without contrast',
    sections: [
      {
        id: 'history',
        title: 'Clinical history',
        text: 'Fall at home | headache ^ nausea & vomiting ~ 2 days.',
      },
      {
        id: 'findings',
        title: 'Findings',
        text: 'Acute subdural haematoma over the left convexity.\n\nMidline shift 4 mm. Path C:\\scans\\ noted.',
      },
    ],
    impression: 'Acute left subdural haematoma with mass effect.',
    measurements: [
      { label: 'Haematoma thickness', value: 9.5, unit: 'mm', where: 'series 3, image 41' },
      { label: 'Midline shift', value: 4, unit: 'mm' },
    ],
    criticalFindings: [{ category: 'critical', finding: 'Acute subdural haematoma with midline shift' }],
    addenda: [],
    ...overrides,
  };
}
