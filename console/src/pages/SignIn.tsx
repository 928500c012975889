import { useState, type FormEvent } from 'react';
import { api, ApiError, type Principal, type Problem } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';

/** Paste an API key; GET /v1/me says whose it is. The key stays in this tab's sessionStorage. */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Principal, key: string) => void }) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const trimmed = key.trim();
      onSignedIn(await api<Principal>('/v1/me', { key: trimmed }), trimmed);
    } catch (err) {
      setProblem(err instanceof ApiError ? err.problem : { title: 'Sign-in failed', status: 0, detail: String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} noValidate>
        <h1>
          <img src="/favicon.svg" alt="" width={28} height={28} /> Statera console
        </h1>
        <p className="muted">Operators, reviewers and auditors sign in with their API key. It is kept in this browser tab only.</p>
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input id="api-key" type="password" autoComplete="off" spellCheck={false} placeholder="stk_…" value={key} onChange={(e) => setKey(e.target.value)} />
        </div>
        <ProblemAlert problem={problem} />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
