import { LiveStatus } from '../live-stream.ts';

const words: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/**
 * Whether the list on screen is being kept current. A status region, so a screen reader hears the
 * connection drop and come back, as a sighted user sees the dot change.
 */
export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <p className={`live-indicator live-${status}`} role="status">
      <span className="live-dot" aria-hidden="true" />
      <span className="visually-hidden">Live updates: </span>
      {words[status]}
      {status === LiveStatus.Reconnecting && <span className="live-hint"> — changes may be missing</span>}
    </p>
  );
}
