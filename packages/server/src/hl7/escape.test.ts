import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeFormattedText, escapeText, unescapeText } from './escape.ts';

test('every delimiter is written as its escape sequence', () => {
  assert.equal(escapeText('a|b^c~d\\e&f'), 'a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f');
});

test('the escape character is escaped first, so no sequence is doubled', () => {
  assert.equal(escapeText('\\F\\'), '\\E\\F\\E\\');
  assert.equal(unescapeText(escapeText('\\F\\')), '\\F\\');
});

test('line breaks: spaces in plain text, \\.br\\ in formatted text', () => {
  assert.equal(escapeText('one\r\ntwo\nthree'), 'one two three');
  assert.equal(escapeFormattedText('one\r\ntwo\n\nthree|x'), 'one\\.br\\two\\.br\\\\.br\\three\\F\\x');
});

test('control characters never reach the wire raw (a CR would end the segment)', () => {
  const out = escapeText('tab\there\x07bell');
  assert.equal(out, 'tab\\X09\\here\\X07\\bell');
  assert.doesNotMatch(out, /[\x00-\x1f]/);
});

test('unescape reverses escaping, including line breaks and hex', () => {
  const text = 'Fall | head ^ neck & back ~ 2\\3\nsecond line';
  assert.equal(unescapeText(escapeFormattedText(text)), text);
  assert.equal(unescapeText('a\\X41\\b\\H\\bold\\N\\'), 'aAbbold');
});

test('non-ASCII text passes through (sent as UTF-8)', () => {
  assert.equal(escapeText('Müller Ærø 東京'), 'Müller Ærø 東京');
});
