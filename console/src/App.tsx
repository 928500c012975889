import { useEffect, useState } from 'react';
import { api, session, whenUnauthenticated, type Principal } from './api';
import { MeContext } from './me';
import { mayReadOperations } from './operations';
import { href, useRoute } from './router';
import { Approvals } from './pages/Approvals';
import { Definitions } from './pages/Definitions';
import { Inbox } from './pages/Inbox';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { WorkflowPage } from './pages/Workflow';
import { Workflows } from './pages/Workflows';

const NAV: { path: string; label: string; match: (p: string[]) => boolean; for?: (me: Principal) => boolean }[] = [
  { path: '/', label: 'Overview', match: (p: string[]) => p.length === 0 },
  { path: '/workflows', label: 'Workflows', match: (p: string[]) => p[0] === 'workflows' },
  { path: '/tasks', label: 'Task inbox', match: (p: string[]) => p[0] === 'tasks' },
  // Operator approvals are for operators and auditors: no link where the API would refuse.
  { path: '/approvals', label: 'Approvals', match: (p: string[]) => p[0] === 'approvals', for: mayReadOperations },
  { path: '/definitions', label: 'Definitions', match: (p: string[]) => p[0] === 'definitions' },
];

export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Principal | null>(null);
  const [checking, setChecking] = useState(session.key() !== null);

  const signOut = () => {
    session.clear();
    setMe(null);
  };

  useEffect(() => {
    whenUnauthenticated(signOut);
    // A key kept from earlier in this tab: ask who it is (it may have been revoked since).
    if (!session.key()) return;
    api<Principal>('/v1/me')
      .then(setMe)
      .catch(() => session.clear())
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p className="muted centered">Checking the session…</p>;
  if (!me) {
    return (
      <SignIn
        onSignedIn={(principal, key) => {
          session.save(key);
          setMe(principal);
        }}
      />
    );
  }

  const [section, id, version] = route.path;
  let page;
  if (!section) page = <Overview />;
  else if (section === 'workflows' && id) page = <WorkflowPage id={id} />;
  else if (section === 'workflows') page = <Workflows query={route.query} />;
  else if (section === 'tasks') page = <Inbox query={route.query} />;
  else if (section === 'approvals') page = <Approvals query={route.query} />;
  else if (section === 'definitions') page = <Definitions type={id} version={version} />;
  else page = <p>No such page. <a href="#/">Go to the overview</a>.</p>;

  return (
    <MeContext.Provider value={me}>
      <header className="topbar">
        <a className="brand" href="#/">
          <img src="/favicon.svg" alt="" width={22} height={22} /> Statera
        </a>
        <nav aria-label="Main">
          {NAV.filter((n) => !n.for || n.for(me)).map((n) => (
            <a key={n.path} href={href(n.path)} aria-current={n.match(route.path) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div className="whoami">
          <span>
            signed in as <strong data-testid="principal">{me.id}</strong>
            <span className="muted"> · {me.roles.join(', ')}</span>
            <span className="muted" data-testid="tenant"> · tenant {me.tenant}</span>
          </span>
          <button type="button" className="secondary small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{page}</main>
    </MeContext.Provider>
  );
}
