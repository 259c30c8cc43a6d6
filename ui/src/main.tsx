// The app shell: navigation, the live indicator, and the router (the URL is the view state).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { READ_ONLY, get, liveState, route, startLive } from './api';
import { NotFound, Warnings } from './common';
import { ChartsPage, ComparePage, ExperimentsPage, ModelPage, ModelsPage, RunPage } from './pages';
import { RunsPage } from './runs';
import './style.css';

function Page() {
  const path = route.value.path;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return <ExperimentsPage />;
  if (parts[0] === 'experiments' && parts[1]) return <RunsPage ids={parts[1].split(',').filter(Boolean)} />;
  if (parts[0] === 'experiments') return <ExperimentsPage />;
  if (parts[0] === 'runs' && parts[1]) return <RunPage id={parts[1]} artifactPath={parts[2] === 'artifacts' ? parts.slice(3).join('/') : null} />;
  if (parts[0] === 'compare') return <ComparePage />;
  if (parts[0] === 'charts') return <ChartsPage />;
  if (parts[0] === 'models' && parts[1]) return <ModelPage name={parts[1]} />;
  if (parts[0] === 'models') return <ModelsPage />;
  return <NotFound what={`No page at ${path}.`} />;
}

function App() {
  const [info, setInfo] = useState<any>(null);
  useEffect(() => {
    startLive();
    get('/api/info').then(setInfo, () => undefined);
  }, []);
  const path = route.value.path;
  const here = (p: string): 'page' | undefined => (path === p || (p !== '/' && path.startsWith(p)) ? 'page' : undefined);
  return (
    <>
      <header class="top">
        <a class="brand" href="/">mlruns</a>
        <nav aria-label="Main">
          <a href="/" aria-current={path === '/' || path.startsWith('/experiments') ? 'page' : undefined}>Experiments</a>
          <a href="/models" aria-current={here('/models')}>Models</a>
        </nav>
        <span class="spacer-flex" />
        {READ_ONLY ? <span class="badge">read-only</span> : null}
        <span class={`live ${liveState.value}`} title="live updates (server-sent events)">● {liveState.value}</span>
        <span class="muted mono small root" title="tracking root">{info?.root}</span>
      </header>
      {info?.warnings?.length && path === '/' ? <div class="page"><Warnings list={info.warnings} /></div> : null}
      <main>
        <Page />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
