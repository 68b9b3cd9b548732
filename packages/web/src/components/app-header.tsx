import { type Abilities, abilitiesOf, type User } from '../api-client.ts';
import { AppRoute, hrefFor, worklistHref } from '../app-route.ts';
import { NotificationBell } from './notification-bell.tsx';

interface AppHeaderProps {
  user: User;
  route: AppRoute;
  signingOut: boolean;
  onSignOut: () => void;
}

type NavRoute = Exclude<AppRoute, typeof AppRoute.Case>;

/** The pages in the bar, each shown to the roles that can use it. */
const navItems: {
  route: NavRoute;
  label: string;
  shown: (a: Abilities, roles: readonly string[]) => boolean;
}[] = [
  { route: AppRoute.Worklist, label: 'Worklist', shown: (a) => a.worklist },
  { route: AppRoute.Consults, label: 'Consults', shown: (a) => a.read },
  { route: AppRoute.Coordinator, label: 'Coordinator', shown: (a) => a.manage },
  { route: AppRoute.Routing, label: 'Routing', shown: (a) => a.routing },
  {
    route: AppRoute.Critical,
    label: 'Critical results',
    shown: (a, roles) => a.manage || roles.includes('referrer'),
  },
  { route: AppRoute.ReportTemplates, label: 'Templates', shown: (a) => a.manage },
  { route: AppRoute.Studies, label: 'Studies', shown: () => true },
  { route: AppRoute.PeerReview, label: 'Peer review', shown: (a) => a.read || a.manage },
  { route: AppRoute.Boards, label: 'Boards', shown: (a) => a.boards },
  { route: AppRoute.ReportDeliveries, label: 'Deliveries', shown: (a) => a.manage },
  { route: AppRoute.Audit, label: 'Audit', shown: (a) => a.admin },
  { route: AppRoute.System, label: 'System', shown: () => true },
];

/** The bar across the top: where you are, who you are, and the way out. */
export function AppHeader({ user, route, signingOut, onSignOut }: AppHeaderProps) {
  const abilities = abilitiesOf(user);
  // A case belongs to the worklist: its tab stays marked while a case is open.
  const current = route === AppRoute.Case ? AppRoute.Worklist : route;
  return (
    <header className="app-header">
      <button type="button" className="skip-link" onClick={skipToContent}>
        Skip to content
      </button>
      <span className="brand">Confer</span>
      <nav aria-label="Main">
        <ul className="nav-list">
          {navItems
            .filter((item) => item.shown(abilities, user.roles))
            .map((item) => (
              <li key={item.route}>
                <a
                  className="nav-link"
                  href={item.route === AppRoute.Worklist ? worklistHref() : hrefFor(item.route)}
                  aria-current={item.route === current ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <div className="user-area">
        <NotificationBell />
        <span className="user-name">
          <span className="visually-hidden">Signed in as </span>
          {user.username}
          {user.roles.length > 0 && <span className="user-roles"> ({user.roles.join(', ')})</span>}
        </span>
        <button type="button" className="button button-quiet" onClick={onSignOut} disabled={signingOut}>
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </div>
    </header>
  );
}

// A button, not the usual <a href="#main">: the fragment carries the route, so following "#main"
// would navigate away from the page being skipped into.
function skipToContent() {
  document.getElementById('main')?.focus();
}
