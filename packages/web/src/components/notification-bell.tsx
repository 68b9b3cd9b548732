import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { formatInstant } from '../format-instant.ts';
import { requestJson } from '../json-request.ts';
import { openLiveStream } from '../live-stream.ts';
import {
  type AppNotification,
  allRead,
  badgeText,
  bellLabel,
  emptyNotifications,
  loaded,
  markedRead,
  type NotificationsState,
  received,
} from '../notifications-model.ts';

/**
 * The bell in the header: how many notifications are unread, and a panel listing the newest. It keeps a
 * live connection to /api/notifications/stream; each (re)connection reloads the list, since notifications
 * sent while disconnected are only in the stored list.
 */
export function NotificationBell() {
  const [state, setState] = useState<NotificationsState>(emptyNotifications);
  const [open, setOpen] = useState(false);
  const [failed, setFailed] = useState(false);
  const panelId = useId();
  const wrapper = useRef<HTMLDivElement>(null);

  const reload = useCallback(async () => {
    try {
      const page = await requestJson<{ items: AppNotification[]; unread: number }>(
        'GET',
        '/api/notifications?limit=30',
      );
      setState(loaded(page));
      setFailed(false);
    } catch {
      setFailed(true);
    }
  }, []);

  useEffect(() => {
    void reload();
    return openLiveStream({
      url: '/api/notifications/stream',
      createSource: (url) => new EventSource(url),
      events: ['notification'],
      onStatus: () => {},
      onReady: () => void reload(),
      onEvent: (_type, data) => setState((s) => received(s, data as AppNotification)),
    });
  }, [reload]);

  // Close on Escape or a click outside, like a menu.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onClick = (e: MouseEvent) => {
      if (wrapper.current && !wrapper.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const openOne = async (n: AppNotification) => {
    if (n.readAt === null) {
      try {
        const read = await requestJson<AppNotification>('POST', `/api/notifications/${n.id}/read`);
        setState((s) => markedRead(s, read));
      } catch {
        // Following the link matters more than the read mark; the next reload shows the truth.
      }
    }
    setOpen(false);
    if (n.link) window.location.hash = n.link.replace(/^#/, '');
  };

  const markAll = async () => {
    try {
      await requestJson<{ marked: number }>('POST', '/api/notifications/read-all');
      setState((s) => allRead(s, new Date().toISOString()));
    } catch {
      setFailed(true);
    }
  };

  return (
    <div className="notification-bell" ref={wrapper}>
      <button
        type="button"
        className="button button-quiet bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={bellLabel(state.unread)}
        title={bellLabel(state.unread)}
        onClick={() => setOpen((o) => !o)}
      >
        <svg
          className="bell-icon"
          viewBox="0 0 24 24"
          width="18"
          height="18"
          aria-hidden="true"
          focusable="false"
        >
          <path
            d="M12 3a6 6 0 0 0-6 6v3.6l-1.6 2.7A1 1 0 0 0 5.3 17h13.4a1 1 0 0 0 .9-1.7L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 15.5a2.5 2.5 0 0 0 5 0h-5Z"
            fill="currentColor"
          />
        </svg>
        {state.unread > 0 && (
          <span className="bell-badge" data-testid="bell-badge" aria-hidden="true">
            {badgeText(state.unread)}
          </span>
        )}
      </button>
      {open && (
        <section id={panelId} className="bell-panel" aria-label="Notifications">
          <header className="bell-panel-header">
            <h2>Notifications</h2>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => void markAll()}
              disabled={state.unread === 0}
            >
              Mark all read
            </button>
          </header>
          {failed && <p className="bell-empty">Notifications could not be loaded; they will be retried.</p>}
          {state.items.length === 0 && !failed ? (
            <p className="bell-empty">
              Nothing yet. Mentions, consults, critical results and reviews show here.
            </p>
          ) : (
            <ul className="bell-list">
              {state.items.map((n) => (
                <li key={n.id} className={n.readAt === null ? 'bell-item unread' : 'bell-item'}>
                  <button type="button" className="bell-item-button" onClick={() => void openOne(n)}>
                    <span className="bell-item-title">
                      {n.readAt === null && <span className="visually-hidden">Unread: </span>}
                      {n.title}
                    </span>
                    {n.body && <span className="bell-item-body">{n.body}</span>}
                    <span className="bell-item-meta">
                      {n.kind} · {formatInstant(n.createdAt)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
