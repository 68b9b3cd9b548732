import { lazy, type ReactNode, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { abilitiesOf, type User } from './api-client.ts';
import { useApi } from './api-context.ts';
import { type AppLocation, AppRoute, useAppLocation } from './app-route.ts';
import { AppHeader } from './components/app-header.tsx';
import { CriticalBanner } from './components/critical-banner.tsx';
import { ErrorNotice } from './components/error-notice.tsx';
import { ackTokenFromHash } from './critical/critical-model.ts';
import { ReportDeliveriesPage } from './delivery/report-deliveries-page.tsx';
import { LiveWorklistProvider } from './live-worklist.tsx';
import { AckLinkPage } from './pages/ack-link-page.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { BoardsPage } from './pages/boards-page.tsx';
import { CasePage } from './pages/case-page.tsx';
import { ConsultsPage } from './pages/consults-page.tsx';
import { CoordinatorPage } from './pages/coordinator-page.tsx';
import { CriticalPage } from './pages/critical-page.tsx';
import { PeerReviewPage } from './pages/peer-review-page.tsx';
import { RoutingPage } from './pages/routing-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { StudiesPage } from './pages/studies-page.tsx';
import { SystemPage } from './pages/system-page.tsx';
import { WorklistPage } from './pages/worklist-page.tsx';
import { type Problem, toProblem } from './problem.ts';
import { ReportTemplatesPage } from './report/report-templates-page.tsx';

// The viewer carries Cornerstone and its codecs: a chunk of its own, fetched only when a viewer opens.
const ViewerPage = lazy(() => import('./pages/viewer-page.tsx'));

const SessionPhase = {
  Checking: 'checking',
  CheckFailed: 'check-failed',
  SignedOut: 'signed-out',
  SignedIn: 'signed-in',
} as const;

type Session =
  | { phase: typeof SessionPhase.Checking }
  | { phase: typeof SessionPhase.CheckFailed; problem: Problem }
  | { phase: typeof SessionPhase.SignedOut; notice: string | null }
  | { phase: typeof SessionPhase.SignedIn; user: User };

interface AppProps {
  /** The clock; injected so nothing in the app reads the time on its own. */
  now: () => Date;
}

/** The whole app: the session decides between sign-in and the signed-in pages. */
export function App({ now }: AppProps) {
  const api = useApi();
  const location = useAppLocation();
  const [session, setSession] = useState<Session>({ phase: SessionPhase.Checking });
  const [signingOut, setSigningOut] = useState(false);

  // The cookie is HttpOnly, so only the server can say whether this browser already has a session.
  const checkSession = useCallback(
    (signal?: AbortSignal) => {
      setSession({ phase: SessionPhase.Checking });
      api.me(signal).then(
        (user) => {
          if (signal?.aborted) return;
          setSession(
            user ? { phase: SessionPhase.SignedIn, user } : { phase: SessionPhase.SignedOut, notice: null },
          );
        },
        (error: unknown) => {
          if (!signal?.aborted) setSession({ phase: SessionPhase.CheckFailed, problem: toProblem(error) });
        },
      );
    },
    [api],
  );

  useEffect(() => {
    const controller = new AbortController();
    checkSession(controller.signal);
    return () => controller.abort();
  }, [checkSession]);

  // Any request answered 401 means the cookie is gone (expired, revoked, signed out in another tab):
  // go back to sign-in and say why, rather than leaving every panel showing its own error.
  useEffect(
    () =>
      api.onSessionExpired(() =>
        setSession({
          phase: SessionPhase.SignedOut,
          notice: 'Your session has ended. Sign in again to continue.',
        }),
      ),
    [api],
  );

  const signOut = useCallback(async () => {
    setSigningOut(true);
    try {
      await api.logout();
      setSession({ phase: SessionPhase.SignedOut, notice: 'You have signed out.' });
    } catch (error) {
      // Still leave the signed-in screens, but do not claim success: the server may still hold the
      // session, which matters on a shared workstation.
      const problem = toProblem(error);
      setSession({
        phase: SessionPhase.SignedOut,
        notice: `The server did not confirm sign-out (${problem.title}). Close the browser to be sure the session ends.`,
      });
    } finally {
      setSigningOut(false);
    }
  }, [api]);

  // An acknowledgement link works without signing in: its single-use token is the key.
  const ackToken = ackTokenFromHash(window.location.hash);
  if (ackToken) return <AckLinkPage token={ackToken} />;
  if (session.phase === SessionPhase.Checking) {
    return (
      <main className="splash" id="main">
        <p role="status">Loading Confer…</p>
      </main>
    );
  }
  if (session.phase === SessionPhase.CheckFailed) {
    return (
      <main className="splash" id="main">
        <ErrorNotice problem={session.problem} onRetry={() => checkSession()} />
      </main>
    );
  }
  if (session.phase === SessionPhase.SignedOut) {
    return (
      <SignInPage
        notice={session.notice}
        onSignedIn={(user) => setSession({ phase: SessionPhase.SignedIn, user })}
      />
    );
  }
  const user = session.user;
  const abilities = abilitiesOf(user);
  // The landing page: the worklist for readers and coordinators, the studies for everyone else.
  const route = location.route ?? (abilities.worklist ? AppRoute.Worklist : AppRoute.Studies);
  const app = (
    <div className="app">
      <AppHeader user={user} route={route} signingOut={signingOut} onSignOut={signOut} />
      <CriticalBanner user={user} />
      <SignedInMain pageKey={`${route}/${location.caseId ?? ''}`}>
        <Page route={route} location={location} user={user} now={now} />
      </SignedInMain>
    </div>
  );
  // One live worklist connection for everyone who has a worklist, kept across pages.
  return abilities.worklist ? <LiveWorklistProvider>{app}</LiveWorklistProvider> : app;
}

function Page({
  route,
  location,
  user,
  now,
}: {
  route: AppRoute;
  location: AppLocation;
  user: User;
  now: () => Date;
}) {
  switch (route) {
    case AppRoute.Worklist:
      return <WorklistPage user={user} location={location} now={now} />;
    case AppRoute.Case:
      return location.caseId ? (
        <CasePage key={location.caseId} user={user} caseId={location.caseId} now={now} />
      ) : null;
    case AppRoute.Coordinator:
      return <CoordinatorPage user={user} now={now} />;
    case AppRoute.Routing:
      return <RoutingPage user={user} location={location} />;
    case AppRoute.Studies:
      return <StudiesPage now={now} />;
    case AppRoute.Audit:
      return <AuditPage user={user} />;
    case AppRoute.System:
      return <SystemPage />;
    case AppRoute.Consults:
      return <ConsultsPage user={user} now={now} />;
    case AppRoute.ReportTemplates:
      return <ReportTemplatesPage user={user} />;
    case AppRoute.Critical:
      return <CriticalPage user={user} now={now} />;
    case AppRoute.PeerReview:
      return <PeerReviewPage user={user} />;
    case AppRoute.ReportDeliveries:
      return <ReportDeliveriesPage />;
    case AppRoute.Boards:
      return <BoardsPage user={user} />;
    case AppRoute.Viewer:
      return (
        <Suspense fallback={<p role="status">Loading the viewer…</p>}>
          <ViewerPage user={user} caseId={location.caseId} params={location.params} />
        </Suspense>
      );
  }
}

/**
 * The main landmark. On navigation it moves focus to the new page's heading, as a full page load
 * would, so screen-reader and keyboard users learn the page changed and start from its top.
 */
function SignedInMain({ pageKey, children }: { pageKey: string; children: ReactNode }) {
  const mainRef = useRef<HTMLElement>(null);
  const previousPage = useRef<string | null>(null);
  useEffect(() => {
    const firstShow = previousPage.current === null;
    if (previousPage.current === pageKey) return;
    previousPage.current = pageKey;
    // On first show (just signed in, the form gone) focus would otherwise fall back to <body>; take it
    // only then, so a reload does not yank focus from wherever the browser put it.
    const focusLost = document.activeElement === null || document.activeElement === document.body;
    if (firstShow && !focusLost) return;
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [pageKey]);
  return (
    <main className="page" id="main" tabIndex={-1} ref={mainRef}>
      {children}
    </main>
  );
}
