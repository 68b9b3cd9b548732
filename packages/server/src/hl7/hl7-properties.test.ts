import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { judgeAck } from './ack.ts';
import { escapeFormattedText, escapeText, unescapeText } from './escape.ts';
import { parseMessage } from './message.ts';
import { frameMessage, MllpDecoder } from './mllp.ts';
import { buildOruR01 } from './oru-r01.ts';

// Text as people type it into reports: any printable character, the delimiters included, and line breaks.
const reportText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('|', '^', '~', '\\', '&', '\n', ' '),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
    fc.constantFrom('é', 'ß', '東', '€'),
  ),
  maxLength: 200,
});

test('escaping never leaves a delimiter or segment break in a value, and unescaping restores the text', () => {
  fc.assert(
    fc.property(reportText, (text) => {
      const ft = escapeFormattedText(text);
      assert.doesNotMatch(ft.replace(/\\[FSTRE]\\|\\\.br\\|\\X[0-9A-F]{2}\\/g, ''), /[|^~&\\\r\n]/);
      assert.equal(unescapeText(ft), text);
      const plain = escapeText(text);
      assert.equal(unescapeText(plain), text.replace(/\n/g, ' '));
    }),
  );
});

test('any report text survives the ORU^R01 round trip, section by section', () => {
  fc.assert(
    fc.property(reportText, reportText, (history, impression) => {
      const report = signedReportFixture({
        sections: [{ id: 'history', title: 'History | notes', text: history }],
        impression,
      });
      const msg = parseMessage(
        buildOruR01(report, {
          controlId: 'CF1',
          now: 0,
          sendingFacility: 'X',
          receivingApplication: 'RIS',
          receivingFacility: 'H',
          processingId: 'P',
        }),
      );
      // Every segment still parses to a known name: no value broke out of its field.
      for (const s of msg.segments) assert.match(s.name, /^(MSH|PID|PV1|ORC|OBR|OBX|NTE)$/);
      const obx = msg.all('OBX');
      if (history.trim()) assert.equal(obx.find((o) => o.get(3, 1) === 'HISTORY')?.get(5), history);
      if (impression.trim()) assert.equal(obx.find((o) => o.get(3, 1) === '19005-8')?.get(5), impression);
    }),
    { numRuns: 200 },
  );
});

test('frames cut into arbitrary chunks decode to the messages sent, in order', () => {
  fc.assert(
    fc.property(
      fc.array(
        reportText.map((t) => `MSH|^~\\&|${escapeText(t)}\r`),
        { minLength: 1, maxLength: 5 },
      ),
      fc.array(fc.nat(), { maxLength: 20 }),
      (messages, cuts) => {
        const bytes = Buffer.concat(messages.map(frameMessage));
        const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
        const d = new MllpDecoder();
        const out: string[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...d.push(bytes.subarray(from, p)));
          from = p;
        }
        assert.deepEqual(out, messages);
      },
    ),
  );
});

test('the ACK judge never throws, whatever comes back', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (junk) => {
      const v = judgeAck(junk, 'CF1');
      assert.equal(typeof v.accepted, 'boolean');
      if (v.accepted) assert.match(junk, /CF1/);
    }),
  );
});
