/**
 * HL7 v2 escaping (v2.5.1 chapter 2.7): the delimiters `|^~\&` inside data are written as escape sequences
 * framed by the escape character, so a receiver never splits a field on a character that belongs to text.
 * Confer always sends the default encoding characters (MSH-2 `^~\&`).
 */

/** The delimiters and escape sequences of a message; Confer sends the defaults, receivers may not. */
export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

export const DEFAULT_DELIMITERS: Hl7Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

/**
 * Escapes text for a single field, component or subcomponent (ST, TX, ID, names...). Line breaks cannot be
 * carried by these types: they become spaces here (narrative goes through `escapeFormattedText`). Other
 * control characters would corrupt the segment framing (CR ends a segment), so they are written as `\Xhh\`.
 */
export function escapeText(value: string, d: Hl7Delimiters = DEFAULT_DELIMITERS): string {
  return escapeChars(value.replace(/\r\n|\r|\n/g, ' '), d);
}

/**
 * Escapes narrative for an FT (formatted text) value: delimiters as escape sequences, each line break as the
 * formatting command `\.br\` (2.7.6), so paragraphs and lists survive the round trip.
 */
export function escapeFormattedText(value: string, d: Hl7Delimiters = DEFAULT_DELIMITERS): string {
  const lines = value.replace(/\r\n|\r/g, '\n').split('\n');
  return lines.map((line) => escapeChars(line, d)).join(`${d.escape}.br${d.escape}`);
}

function escapeChars(value: string, d: Hl7Delimiters): string {
  const e = d.escape;
  let out = '';
  for (const ch of value) {
    if (ch === d.escape) out += `${e}E${e}`;
    else if (ch === d.field) out += `${e}F${e}`;
    else if (ch === d.component) out += `${e}S${e}`;
    else if (ch === d.subcomponent) out += `${e}T${e}`;
    else if (ch === d.repetition) out += `${e}R${e}`;
    else if (ch < ' ' || ch === '\x7f') {
      // 2.7.4: \Xhh\ carries a raw byte; receivers that do not decode it still see no framing character.
      out += `${e}X${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${e}`;
    } else out += ch;
  }
  return out;
}

/**
 * Reverses escaping in received text (an ACK's MSA-3 or ERR-8): delimiter sequences become their characters,
 * `\.br\` a line break, `\Xhh\` its character; highlighting and unknown sequences are dropped.
 */
export function unescapeText(value: string, d: Hl7Delimiters = DEFAULT_DELIMITERS): string {
  const e = d.escape;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch !== e) {
      out += ch;
      i++;
      continue;
    }
    const end = value.indexOf(e, i + 1);
    if (end < 0) {
      // A lone escape character is data (a sender that did not escape it).
      out += value.slice(i);
      break;
    }
    const seq = value.slice(i + 1, end);
    i = end + 1;
    if (seq === 'F') out += d.field;
    else if (seq === 'S') out += d.component;
    else if (seq === 'T') out += d.subcomponent;
    else if (seq === 'R') out += d.repetition;
    else if (seq === 'E') out += d.escape;
    else if (seq === '.br') out += '\n';
    else if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
      const bytes = Buffer.from(seq.slice(1), 'hex');
      out += bytes.toString('latin1');
    }
    // \H\, \N\ (highlighting) and other formatting commands carry no text.
  }
  return out;
}
