/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatInstant } from './format-instant.ts';

test('formatInstant shows the instant in the requested zone and names the zone', () => {
  const iso = '2024-07-01T14:05:09.000Z';
  assert.equal(formatInstant(iso, { locale: 'en-GB', timeZone: 'UTC' }), '01/07/2024, 14:05:09 UTC');
  assert.match(formatInstant(iso, { locale: 'en-US', timeZone: 'America/New_York' }), /10:05:09 EDT$/);
});

test('formatInstant leaves an unreadable value visible', () => {
  assert.equal(formatInstant('yesterday'), 'yesterday');
});
