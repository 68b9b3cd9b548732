import { createHash } from 'node:crypto';

/**
 * The one inline style the viewer needs. Cornerstone's tools draw each measurement's text with a `style`
 * attribute (no selection, no pointer events, a drop shadow from the viewport's SVG layer) whose value
 * depends only on the viewport id; the viewer has two, so the Content Security Policy can allow exactly
 * those two values by hash ('unsafe-hashes') instead of every inline style ('unsafe-inline'). Should a
 * Cornerstone upgrade change the text, the browser refuses the style and the text loses its shadow: the
 * viewer's end-to-end test fails on the console error.
 */
const VIEWPORT_IDS = ['confer-main', 'confer-prior'];

function textStyleOf(viewportId: string): string {
  return `user-select: none; pointer-events: none; -webkit-tap-highlight-color:  rgba(255, 255, 255, 0);filter:url(#shadow-svg-layer-${viewportId});`;
}

/** `'unsafe-hashes' 'sha256-...' ...` for the style-src directive. */
export const VIEWER_STYLE_SOURCES = [
  "'unsafe-hashes'",
  ...VIEWPORT_IDS.map((id) => `'sha256-${createHash('sha256').update(textStyleOf(id)).digest('base64')}'`),
].join(' ');
