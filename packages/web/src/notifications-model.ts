// The notification bell's state: the newest notifications and the unread total, kept consistent as the
// list is loaded, live ones arrive and some are marked read. Pure, so it is tested without a browser.

/** A notification as GET /api/notifications and the live stream send it. */
export interface AppNotification {
  id: number;
  kind: string;
  title: string;
  body: string | null;
  caseId: string | null;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationsState {
  /** Newest first, at most {@link MAX_SHOWN}. */
  items: AppNotification[];
  unread: number;
}

export const MAX_SHOWN = 30;

export const emptyNotifications: NotificationsState = { items: [], unread: 0 };

/** The state after loading a page from the server, which is the truth for what it contains. */
export function loaded(page: { items: AppNotification[]; unread: number }): NotificationsState {
  return { items: [...page.items].sort((a, b) => b.id - a.id).slice(0, MAX_SHOWN), unread: page.unread };
}

/**
 * A live notification. One already shown is ignored, so a stream that replays after a reconnect does not
 * count it twice.
 */
export function received(state: NotificationsState, n: AppNotification): NotificationsState {
  if (state.items.some((i) => i.id === n.id)) return state;
  const items = [n, ...state.items].sort((a, b) => b.id - a.id).slice(0, MAX_SHOWN);
  return { items, unread: state.unread + (n.readAt === null ? 1 : 0) };
}

/** One notification marked read (the server's answer, with its read time). */
export function markedRead(state: NotificationsState, read: AppNotification): NotificationsState {
  const before = state.items.find((i) => i.id === read.id);
  const wasUnread = before ? before.readAt === null : false;
  return {
    items: state.items.map((i) => (i.id === read.id ? read : i)),
    unread: wasUnread && read.readAt !== null ? Math.max(0, state.unread - 1) : state.unread,
  };
}

/** Everything marked read at `at`. */
export function allRead(state: NotificationsState, at: string): NotificationsState {
  return { items: state.items.map((i) => (i.readAt === null ? { ...i, readAt: at } : i)), unread: 0 };
}

/** What the bell's button says to a screen reader and in its tooltip. */
export function bellLabel(unread: number): string {
  if (unread === 0) return 'Notifications: none unread';
  return `Notifications: ${unread} unread`;
}

/** The badge text: the count, capped so it stays small. */
export function badgeText(unread: number): string {
  return unread > 99 ? '99+' : String(unread);
}
