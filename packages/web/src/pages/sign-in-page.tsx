import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { type Problem, toProblem } from '../problem.ts';

interface SignInPageProps {
  /** Why the user is here again, e.g. their session expired; shown above the form. */
  notice: string | null;
  onSignedIn: (user: User) => void;
}

/** The sign-in form. The password goes to the server once and is never kept in the page. */
export function SignInPage({ notice, onSignedIn }: SignInPageProps) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const usernameId = useId();
  const passwordId = useId();

  // The form is all there is on this page, so start in it; done in an effect because the autoFocus
  // attribute is linted away app-wide, where it usually disorients.
  useEffect(() => {
    usernameRef.current?.focus();
  }, []);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    setSubmitting(true);
    setProblem(null);
    try {
      onSignedIn(await api.login(username.trim(), password));
    } catch (error) {
      setProblem(toProblem(error));
      setPassword('');
      passwordRef.current?.focus();
      setSubmitting(false);
    }
  }

  return (
    <main className="sign-in" id="main" tabIndex={-1}>
      <div className="sign-in-card">
        <p className="brand brand-large">Confer</p>
        <h1>Sign in</h1>
        {notice && (
          <p className="notice notice-info" role="status">
            {notice}
          </p>
        )}
        {problem && <ErrorNotice problem={problem} />}
        <form onSubmit={handleSubmit} className="stack" aria-busy={submitting}>
          <div className="field">
            <label htmlFor={usernameId}>Username</label>
            <input
              ref={usernameRef}
              id={usernameId}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={passwordId}>Password</label>
            <input
              ref={passwordRef}
              id={passwordId}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <button type="submit" className="button button-primary" disabled={submitting}>
            {submitting ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
