/**
 * A polite announcement for screen readers (new cases arriving, an action done). Visually hidden: the
 * same change is visible on screen already.
 */
export function LiveRegion({ message }: { message: string }) {
  return (
    <p className="visually-hidden" aria-live="polite" aria-atomic="true">
      {message}
    </p>
  );
}
