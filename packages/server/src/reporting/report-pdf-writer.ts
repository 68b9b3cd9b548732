import { deflateSync } from 'node:zlib';

/**
 * A minimal PDF 1.4 writer for text documents: A4 pages, the standard Helvetica and Helvetica-Bold fonts
 * (every reader has them, so nothing is embedded), WinAnsi encoding, lines and filled rectangles. It is
 * enough for a signed report, and small enough to audit; anything fancier belongs to a real library.
 */

export const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;

export type PdfFont = 'regular' | 'bold';

// Advance widths (1/1000 em) of the printable ASCII range, 32..126, from the fonts' published metrics.
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
  500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
  556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278,
  556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584,
  556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556,
  333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

// WinAnsiEncoding's 0x80..0x9F block holds typographic characters people type into reports.
const WIN_ANSI_EXTRA: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  '„': 0x84,
  '…': 0x85,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '™': 0x99,
};

/** The byte for a character in WinAnsiEncoding, or '?' (0x3F) when the standard fonts cannot show it. */
function winAnsi(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c >= 0x20 && c <= 0x7e) return c;
  if (c >= 0xa0 && c <= 0xff) return c;
  return WIN_ANSI_EXTRA[ch] ?? 0x3f;
}

/** Width of text in points. Characters beyond ASCII are measured as an average letter. */
export function textWidth(text: string, font: PdfFont, size: number): number {
  const table = font === 'bold' ? HELVETICA_BOLD : HELVETICA;
  let units = 0;
  for (const ch of text) {
    const b = winAnsi(ch);
    units += b >= 32 && b <= 126 ? table[b - 32]! : 556;
  }
  return (units * size) / 1000;
}

/**
 * Breaks a paragraph into lines no wider than `maxWidth`; a word longer than a line (a UID, a URL) is cut.
 */
export function wrapText(text: string, font: PdfFont, size: number, maxWidth: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (textWidth(word, font, size) > maxWidth) {
      let cut = word.length - 1;
      while (cut > 1 && textWidth(word.slice(0, cut), font, size) > maxWidth) cut--;
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(word.slice(0, cut));
      word = word.slice(cut);
    }
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, font, size) <= maxWidth) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The text cut (with an ellipsis) to fit `maxWidth`: for one-line headers that must not overrun. */
export function fitText(text: string, font: PdfFont, size: number, maxWidth: number): string {
  if (textWidth(text, font, size) <= maxWidth) return text;
  let end = text.length;
  while (end > 0 && textWidth(`${text.slice(0, end)}…`, font, size) > maxWidth) end--;
  return `${text.slice(0, end).trimEnd()}…`;
}

function pdfString(text: string): string {
  let out = '(';
  for (const ch of text) {
    const b = winAnsi(ch);
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out})`;
}

function num(n: number): string {
  return Number(n.toFixed(2)).toString();
}

function pdfDate(epochMs: number): string {
  const s = new Date(epochMs).toISOString();
  return `D:${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`;
}

/** A document under construction: draw on the current page, add pages, then `toBuffer()`. */
export class PdfDocument {
  private readonly pages: string[][] = [];
  private readonly info: { title: string; author?: string; createdAt?: number };

  constructor(info: { title: string; author?: string; createdAt?: number }) {
    this.info = info;
  }

  get pageCount(): number {
    return this.pages.length;
  }

  addPage(): number {
    this.pages.push([]);
    return this.pages.length;
  }

  private get ops(): string[] {
    if (this.pages.length === 0) this.addPage();
    return this.pages[this.pages.length - 1]!;
  }

  /** Text with its baseline at (x, y) from the bottom-left corner; grey 0 (black) .. 1 (white). */
  text(
    x: number,
    y: number,
    text: string,
    font: PdfFont,
    size: number,
    options: { grey?: number; page?: number } = {},
  ): void {
    const ops = options.page ? this.pages[options.page - 1]! : this.ops;
    ops.push(
      `BT ${num(options.grey ?? 0)} g /${font === 'bold' ? 'F2' : 'F1'} ${num(size)} Tf ${num(x)} ${num(y)} Td ${pdfString(text)} Tj ET`,
    );
  }

  /** Text turned by `degrees` about its start (a watermark). */
  rotatedText(
    x: number,
    y: number,
    degrees: number,
    text: string,
    font: PdfFont,
    size: number,
    grey: number,
  ): void {
    const r = (degrees * Math.PI) / 180;
    const [c, s] = [Math.cos(r), Math.sin(r)];
    this.ops.push(
      `BT ${num(grey)} g /${font === 'bold' ? 'F2' : 'F1'} ${num(size)} Tf ${num(c)} ${num(s)} ${num(-s)} ${num(c)} ${num(x)} ${num(y)} Tm ${pdfString(text)} Tj ET`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, width = 0.5, grey = 0): void {
    this.ops.push(`${num(grey)} G ${num(width)} w ${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S`);
  }

  rect(x: number, y: number, w: number, h: number, grey: number): void {
    this.ops.push(`${num(grey)} g ${num(x)} ${num(y)} ${num(w)} ${num(h)} re f`);
  }

  /** Serialises the document: objects, cross-reference table and trailer (PDF 1.4, 7.5). */
  toBuffer(): Buffer {
    if (this.pages.length === 0) this.addPage();
    const objects: Buffer[] = [];
    const add = (body: string | Buffer): number => {
      objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
      return objects.length;
    };
    // Fixed numbers for the shared objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 info.
    add('');
    add('');
    add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
    add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
    const infoParts = [`/Title ${pdfString(this.info.title)}`, `/Producer ${pdfString('Confer')}`];
    if (this.info.author) infoParts.push(`/Author ${pdfString(this.info.author)}`);
    if (this.info.createdAt !== undefined)
      infoParts.push(`/CreationDate ${pdfString(pdfDate(this.info.createdAt))}`);
    add(`<< ${infoParts.join(' ')} >>`);
    const kids: number[] = [];
    for (const ops of this.pages) {
      const content = deflateSync(Buffer.from(ops.join('\n'), 'latin1'));
      const stream = Buffer.concat([
        Buffer.from(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'),
        content,
        Buffer.from('\nendstream', 'latin1'),
      ]);
      const contentId = add(stream);
      kids.push(
        add(
          `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${contentId} 0 R >>`,
        ),
      );
    }
    objects[0] = Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1');
    objects[1] = Buffer.from(
      `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`,
      'latin1',
    );

    // A binary comment line after the header tells transfer tools the file is binary.
    const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
    let offset = chunks[0]!.length;
    const offsets: number[] = [];
    objects.forEach((body, i) => {
      offsets.push(offset);
      const chunk = Buffer.concat([
        Buffer.from(`${i + 1} 0 obj\n`, 'latin1'),
        body,
        Buffer.from('\nendobj\n', 'latin1'),
      ]);
      chunks.push(chunk);
      offset += chunk.length;
    });
    const xref = [
      'xref',
      `0 ${objects.length + 1}`,
      '0000000000 65535 f ',
      ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
      'trailer',
      `<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R >>`,
      'startxref',
      String(offset),
      '%%EOF',
      '',
    ].join('\n');
    chunks.push(Buffer.from(xref, 'latin1'));
    return Buffer.concat(chunks);
  }
}
