import { Role, type User } from '../api-client.ts';
import { AppRoute, hrefFor } from '../app-route.ts';

interface AppHeaderProps {
  user: User;
  route: AppRoute;
  signingOut: boolean;
  onSignOut: () => void;
}

const navItems: { route: AppRoute; label: string; adminOnly: boolean }[] = [
  { route: AppRoute.Studies, label: 'Studies', adminOnly: false },
  { route: AppRoute.Audit, label: 'Audit', adminOnly: true },
  { route: AppRoute.System, label: 'System', adminOnly: false },
];

/** The bar across the top: where you are, who you are, and the way out. */
export function AppHeader({ user, route, signingOut, onSignOut }: AppHeaderProps) {
  const isAdmin = user.roles.includes(Role.Admin);
  return (
    <header className="app-header">
      <button type="button" className="skip-link" onClick={skipToContent}>
        Skip to content
      </button>
      <span className="brand">Confer</span>
      <nav aria-label="Main">
        <ul className="nav-list">
          {navItems
            .filter((item) => isAdmin || !item.adminOnly)
            .map((item) => (
              <li key={item.route}>
                <a
                  className="nav-link"
                  href={hrefFor(item.route)}
                  aria-current={item.route === route ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <div className="user-area">
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
