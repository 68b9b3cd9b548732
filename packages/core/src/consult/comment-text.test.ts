import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  commentSegments,
  mentionAtCaret,
  mentionedUsernames,
  referencedAnnotationIds,
} from './comment-text.ts';

test('mentions are @ and a name starting with a letter; e-mail addresses, @3pm and trailing punctuation are not names', () => {
  assert.deepEqual(mentionedUsernames('@ada see this, and @ben.'), ['ada', 'ben']);
  assert.deepEqual(mentionedUsernames('mail ann@site.org at @3pm'), []);
  assert.deepEqual(mentionedUsernames('(@dr.okafor) and @dr.okafor again, @Dr.Okafor'), ['dr.okafor']);
  assert.deepEqual(mentionedUsernames('@cy_fenn-2: thoughts?'), ['cy_fenn-2']);
  assert.deepEqual(mentionedUsernames('no mentions here'), []);
});

test('annotation references are annotation:<id>, each once, in order', () => {
  assert.deepEqual(referencedAnnotationIds('see annotation:a-12 and annotation:b_3, annotation:a-12.'), [
    'a-12',
    'b_3',
  ]);
  assert.deepEqual(referencedAnnotationIds('preannotation:x is not one'), []);
});

test('segments keep the text around mentions and annotation links, in order', () => {
  assert.deepEqual(commentSegments('Hi @ada, look at annotation:n1 please'), [
    { kind: 'text', text: 'Hi ' },
    { kind: 'mention', username: 'ada', text: '@ada' },
    { kind: 'text', text: ', look at ' },
    { kind: 'annotation', annotationId: 'n1', text: 'annotation:n1' },
    { kind: 'text', text: ' please' },
  ]);
  assert.equal(
    commentSegments('a @b. c annotation:x-')
      .map((s) => s.text)
      .join(''),
    'a @b. c annotation:x-',
    'the segments put back together are the comment',
  );
});

test('the mention being typed at the caret, for autocomplete', () => {
  assert.deepEqual(mentionAtCaret('ask @ad', 7), { start: 4, partial: 'ad' });
  assert.deepEqual(mentionAtCaret('ask @', 5), { start: 4, partial: '' });
  assert.equal(mentionAtCaret('ann@si', 6), undefined);
  assert.equal(mentionAtCaret('ask @ada now', 12), undefined);
});
