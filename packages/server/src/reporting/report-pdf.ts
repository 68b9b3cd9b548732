import type { SignedReport } from '@confer/core';
import { type ReportLayoutOptions, reportBlocks, runningHeader } from './report-pdf-text.ts';
import {
  fitText,
  PAGE_HEIGHT,
  PAGE_WIDTH,
  PdfDocument,
  type PdfFont,
  textWidth,
  wrapText,
} from './report-pdf-writer.ts';

const MARGIN = 56;
const TOP = PAGE_HEIGHT - MARGIN;
const BOTTOM = MARGIN + 24;
const WIDTH = PAGE_WIDTH - 2 * MARGIN;
const BODY = 10.5;
const LEADING = 14;

/**
 * Renders a signed report as a PDF: a running header on every page (site, patient, accession), the study
 * and signature details, sections, impression, measurements, critical findings, the signature line and any
 * addenda; text wraps and flows onto new pages; a preliminary report says so across every page.
 */
export function renderReportPdf(report: SignedReport, options: ReportLayoutOptions = {}): Buffer {
  const doc = new PdfDocument({
    title: `${report.title} (version ${report.version})`,
    author: report.author.name,
    createdAt: report.signedAt,
  });
  const preliminary = report.kind === 'preliminary';
  const header = runningHeader(report, options);
  let y = TOP;

  const newPage = () => {
    doc.addPage();
    // The watermark goes first so the text is drawn over it.
    if (preliminary) {
      // Centred on the page along the diagonal.
      const half = textWidth('PRELIMINARY', 'bold', 88) / 2 / Math.SQRT2;
      doc.rotatedText(
        PAGE_WIDTH / 2 - half + 22,
        PAGE_HEIGHT / 2 - half - 22,
        45,
        'PRELIMINARY',
        'bold',
        88,
        0.88,
      );
    }
    const room = WIDTH - (preliminary ? textWidth('PRELIMINARY', 'bold', 8.5) + 12 : 0);
    doc.text(MARGIN, TOP, fitText(header, 'regular', 8.5, room), 'regular', 8.5, { grey: 0.35 });
    // Said in words too: the diagonal mark is decoration that text extraction and screen readers scramble.
    if (preliminary) {
      const mark = 'PRELIMINARY';
      doc.text(MARGIN + WIDTH - textWidth(mark, 'bold', 8.5), TOP, mark, 'bold', 8.5);
    }
    doc.line(MARGIN, TOP - 5, MARGIN + WIDTH, TOP - 5, 0.5, 0.6);
    y = TOP - 22;
  };
  const ensure = (height: number) => {
    if (y - height < BOTTOM) newPage();
  };
  const lines = (text: string, font: PdfFont, size: number, indent = 0, grey = 0) => {
    for (const line of wrapText(text, font, size, WIDTH - indent)) {
      ensure(LEADING);
      doc.text(MARGIN + indent, y, line, font, size, { grey });
      y -= size === BODY ? LEADING : size * 1.35;
    }
  };

  newPage();
  lines(report.title, 'bold', 16);
  if (preliminary) {
    ensure(22);
    doc.rect(MARGIN, y - 6, textWidth('PRELIMINARY REPORT - NOT FINAL', 'bold', 11) + 12, 18, 0.15);
    doc.text(MARGIN + 6, y, 'PRELIMINARY REPORT - NOT FINAL', 'bold', 11, { grey: 1 });
    y -= 24;
  }
  y -= 4;

  for (const block of reportBlocks(report, options)) {
    switch (block.kind) {
      case 'fields': {
        const labelWidth = 105;
        for (const [label, value] of block.rows) {
          const wrapped = wrapText(value, 'regular', 9.5, WIDTH - labelWidth);
          ensure(12 * wrapped.length);
          doc.text(MARGIN, y, label, 'bold', 9.5);
          for (const w of wrapped) {
            doc.text(MARGIN + labelWidth, y, w, 'regular', 9.5);
            y -= 12.5;
          }
        }
        y -= 4;
        doc.line(MARGIN, y + 6, MARGIN + WIDTH, y + 6, 0.5, 0.75);
        y -= 8;
        break;
      }
      case 'heading':
        // Keep a heading with at least two lines of what follows.
        ensure(18 + 2 * LEADING);
        y -= 6;
        doc.text(MARGIN, y, block.text.toUpperCase(), 'bold', 11);
        y -= 16;
        break;
      case 'paragraph':
        for (const para of block.text.split('\n')) lines(para, 'regular', BODY);
        y -= 5;
        break;
      case 'list':
        for (const item of block.items) {
          const wrapped = wrapText(item, block.emphasis ? 'bold' : 'regular', BODY, WIDTH - 14);
          wrapped.forEach((w, i) => {
            ensure(LEADING);
            if (i === 0) doc.text(MARGIN + 2, y, '-', 'regular', BODY);
            doc.text(MARGIN + 14, y, w, block.emphasis ? 'bold' : 'regular', BODY);
            y -= LEADING;
          });
        }
        y -= 5;
        break;
      case 'signature':
        ensure(40);
        y -= 10;
        doc.line(MARGIN, y + 12, MARGIN + 220, y + 12, 0.6, 0.2);
        lines(block.text, 'regular', 9.5, 0, 0.15);
        y -= 4;
        break;
    }
  }

  const total = doc.pageCount;
  for (let p = 1; p <= total; p++) {
    const label = `Page ${p} of ${total}`;
    doc.text(MARGIN + WIDTH - textWidth(label, 'regular', 8), MARGIN, label, 'regular', 8, {
      grey: 0.4,
      page: p,
    });
    doc.text(MARGIN, MARGIN, `Report ${report.reportId}, version ${report.version}`, 'regular', 8, {
      grey: 0.4,
      page: p,
    });
  }
  return doc.toBuffer();
}
