import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pdfPages, pdfToText, pdftotextSkip } from '../../test/support/pdftotext.ts';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { renderReportPdf } from './report-pdf.ts';
import { fitText, textWidth, wrapText } from './report-pdf-writer.ts';

const options = { siteName: 'Northvale Hub', timeZone: 'Europe/London' };
const flat = (s: string) => s.replace(/\s+/g, ' ');

test('wrapping keeps every line within the width and every word', () => {
  const text =
    'The quick brown fox jumps over the lazy dog. 1.2.826.0.1.3680043.10.1234.1.1.999999999999999999 ends it.';
  const lines = wrapText(text, 'regular', 10, 120);
  for (const l of lines) assert.ok(textWidth(l, 'regular', 10) <= 120, l);
  assert.equal(lines.join(' ').replace(/\s+/g, ''), text.replace(/\s+/g, ''));
});

test('a one-line header is cut with an ellipsis to fit', () => {
  const long =
    'Northvale Regional Teaching Hospital Imaging Network | A VERY LONG PATIENT NAME INDEED (PAT-1) | Acc. X';
  const cut = fitText(long, 'regular', 8.5, 200);
  assert.ok(textWidth(cut, 'regular', 8.5) <= 200);
  assert.ok(cut.endsWith('…') && long.startsWith(cut.slice(0, -1)));
  assert.equal(fitText('short', 'regular', 8.5, 200), 'short');
});

test('the PDF carries header, details, sections, impression, measurements, critical findings and signature', {
  skip: pdftotextSkip,
}, () => {
  const pdf = renderReportPdf(signedReportFixture(), options);
  assert.equal(pdf.subarray(0, 8).toString('latin1'), '%PDF-1.4');
  const text = flat(pdfToText(pdf));
  for (const expected of [
    'Northvale Hub | MARGOT J QUILLFEATHER (PAT-0042) | Acc. ACC12345',
    'CT head without contrast',
    'CT HEAD WITHOUT CONTRAST',
    '1.2.826.0.1.3680043.10.1234.1.1',
    '10 Mar 2026 13:55 GMT',
    'CLINICAL HISTORY',
    'Fall at home | headache ^ nausea & vomiting ~ 2 days.',
    'Path C:\\scans\\ noted.',
    'IMPRESSION',
    'Acute left subdural haematoma with mass effect.',
    'Haematoma thickness: 9.5 mm (series 3, image 41)',
    'CRITICAL: Acute subdural haematoma with midline shift',
    'Electronically signed by Dr Ada Quill on 10 Mar 2026 14:20 GMT.',
    'Page 1 of 1',
  ])
    assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
  assert.ok(!text.includes('PRELIMINARY'));
});

test('a preliminary report says so on every page; a long report flows onto more pages with the header', {
  skip: pdftotextSkip,
}, () => {
  const long = Array.from(
    { length: 80 },
    (_, i) =>
      `Paragraph ${i + 1}: a long finding with Müller’s naïve café — “quoted” text that must wrap across the line.`,
  ).join('\n\n');
  const report = signedReportFixture({
    kind: 'preliminary',
    sections: [{ id: 'findings', title: 'Findings', text: long }],
  });
  const pdf = renderReportPdf(report, options);
  const pages = pdfPages(pdf);
  assert.ok(pages >= 3, `expected several pages, got ${pages}`);
  const perPage = pdfToText(pdf)
    .split('\f')
    .filter((p) => p.trim());
  assert.equal(perPage.length, pages);
  perPage.forEach((p, i) => {
    assert.ok(p.includes('PRELIMINARY'), `page ${i + 1} lacks the mark`);
    assert.ok(flat(p).includes('MARGOT J QUILLFEATHER (PAT-0042)'), `page ${i + 1} lacks the header`);
    assert.ok(flat(p).includes(`Page ${i + 1} of ${pages}`));
  });
  const all = flat(pdfToText(pdf));
  assert.ok(all.includes('PRELIMINARY REPORT - NOT FINAL'));
  assert.ok(all.includes('Paragraph 80: a long finding with Müller’s naïve café — “quoted” text'));
  assert.ok(all.includes('as a PRELIMINARY report.'));
});

test('addenda follow the signature with their own author and time', { skip: pdftotextSkip }, () => {
  const report = signedReportFixture({
    kind: 'addendum',
    version: 3,
    addenda: [
      {
        text: 'Compared with the prior CT: the haematoma is new.',
        author: { userId: '13', name: 'Dr Ben Marsh' },
        signedAt: Date.parse('2026-03-11T09:05:00Z'),
      },
    ],
  });
  const text = flat(pdfToText(renderReportPdf(report, options)));
  const signed = text.indexOf('Electronically signed by Dr Ada Quill');
  const addendum = text.indexOf('ADDENDUM 1');
  assert.ok(signed > 0 && addendum > signed, text);
  assert.ok(text.includes('Compared with the prior CT: the haematoma is new.'));
  assert.ok(text.includes('Addendum signed by Dr Ben Marsh on 11 Mar 2026 09:05 GMT.'));
  assert.ok(text.includes('Final, with addendum, version 3'));
});
