/**
 * The text of a discussion comment, read the way the server and the browser both need it: `@username`
 * mentions of colleagues and `annotation:<id>` references to viewer annotations. Plain text otherwise; there
 * is no markup to escape or smuggle through.
 */

/** A piece of a comment, in order: plain text, a mention, or an annotation reference. */
export type CommentSegment =
  | { kind: 'text'; text: string }
  | { kind: 'mention'; username: string; text: string }
  | { kind: 'annotation'; annotationId: string; text: string };

/**
 * A mention starts at the beginning or after a character that cannot be part of a name (so `ann@site.org`
 * is not one), and a user name starts with a letter: `@3pm` is left alone. A trailing dot, dash or
 * underscore is punctuation ("ask @ada.").
 */
const MENTION = /(?<![\p{L}\p{N}._@-])@([A-Za-z][A-Za-z0-9._-]{0,63})/gu;
/** `annotation:` then an id of letters, digits, dashes and underscores (the viewer's ids). */
const ANNOTATION = /(?<![\p{L}\p{N}_-])annotation:([A-Za-z0-9][A-Za-z0-9_-]{0,63})/gu;

function trimName(name: string): string {
  return name.replace(/[._-]+$/, '');
}

/** Splits a comment into text, mentions and annotation references, in order. */
export function commentSegments(body: string): CommentSegment[] {
  const found: { at: number; end: number; segment: CommentSegment }[] = [];
  for (const m of body.matchAll(MENTION)) {
    const username = trimName(m[1]!);
    if (username === '') continue;
    const text = `@${username}`;
    found.push({ at: m.index, end: m.index + text.length, segment: { kind: 'mention', username, text } });
  }
  for (const m of body.matchAll(ANNOTATION)) {
    const annotationId = trimName(m[1]!);
    if (annotationId === '') continue;
    const text = `annotation:${annotationId}`;
    found.push({
      at: m.index,
      end: m.index + text.length,
      segment: { kind: 'annotation', annotationId, text },
    });
  }
  found.sort((a, b) => a.at - b.at);
  const out: CommentSegment[] = [];
  let pos = 0;
  for (const f of found) {
    if (f.at < pos) continue; // overlapping matches cannot happen with these patterns; be safe anyway
    if (f.at > pos) out.push({ kind: 'text', text: body.slice(pos, f.at) });
    out.push(f.segment);
    pos = f.end;
  }
  if (pos < body.length) out.push({ kind: 'text', text: body.slice(pos) });
  return out;
}

/** The user names mentioned, each once, in the order first mentioned (as written; matching is case-insensitive). */
export function mentionedUsernames(body: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of commentSegments(body)) {
    if (s.kind !== 'mention' || seen.has(s.username.toLowerCase())) continue;
    seen.add(s.username.toLowerCase());
    out.push(s.username);
  }
  return out;
}

/** The annotation ids referenced, each once, in order. */
export function referencedAnnotationIds(body: string): string[] {
  const out: string[] = [];
  for (const s of commentSegments(body))
    if (s.kind === 'annotation' && !out.includes(s.annotationId)) out.push(s.annotationId);
  return out;
}

/**
 * The mention being typed at the caret, for autocomplete: the partial name after an `@` that ends at
 * `caret`, and where it starts. Undefined when the caret is not in a mention.
 */
export function mentionAtCaret(body: string, caret: number): { start: number; partial: string } | undefined {
  const before = body.slice(0, caret);
  const m = /(?:^|[^\p{L}\p{N}._@-])@([A-Za-z][A-Za-z0-9._-]{0,63})?$/u.exec(before);
  if (!m) return undefined;
  const partial = m[1] ?? '';
  return { start: caret - partial.length - 1, partial };
}
