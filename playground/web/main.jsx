import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import React, { useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';

// window.ASPIRE_PLAYGROUND comes from ./config.js, which the server writes.
const config = window.ASPIRE_PLAYGROUND || {};
const endpoint = new URL(config.endpoint || '/graphql', window.location.href).toString();
// The tabs on a first visit (GraphiQL keeps them in localStorage after),
// each with the server's headers; the first is the example query.
const tabs = (config.tabs && config.tabs.length ? config.tabs : [{ query: config.query, variables: config.variables }])
  .map((t) => ({ query: t.query, variables: t.variables, headers: config.headers }));

// parses reports whether the headers editor holds a JSON object: the
// schema is re-fetched only then, not on every half-typed key.
function parses(text) {
  try {
    const v = JSON.parse(text || '{}');
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

function App() {
  // GraphiQL fetches the schema when its fetcher changes: a new fetcher
  // (same URL) after the headers change re-fetches it with them, so the
  // Docs load as soon as a key is filled in, without the re-fetch button.
  const [version, setVersion] = useState(0);
  const last = useRef(config.headers);
  const timer = useRef(0);
  const fetcher = useMemo(() => createGraphiQLFetcher({ url: endpoint }), [version]);
  const onEditHeaders = (text) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (text !== last.current && parses(text)) {
        last.current = text;
        setVersion((v) => v + 1);
      }
    }, 400);
  };
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      {config.notice && (
        <div role="note" className="aspire-notice"
          style={{ padding: '8px 16px', background: '#fff4d6', color: '#3b2f00', borderBottom: '1px solid #e6d28a', font: '14px/1.4 system-ui, sans-serif' }}>
          {config.notice}
        </div>
      )}
      <div style={{ flex: 1, minHeight: 0 }}>
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={tabs}
          defaultQuery={tabs[0].query}
          initialQuery={tabs[0].query}
          initialVariables={tabs[0].variables}
          initialHeaders={config.headers}
          defaultHeaders={config.headers}
          defaultEditorToolsVisibility={config.tools || true}
          shouldPersistHeaders={false}
          onEditHeaders={onEditHeaders}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<App />);
