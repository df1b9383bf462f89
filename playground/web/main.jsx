import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';

// window.ASPIRE_PLAYGROUND comes from ./config.js, which the server writes.
const config = window.ASPIRE_PLAYGROUND || {};
const endpoint = new URL(config.endpoint || '/graphql', window.location.href).toString();
const fetcher = createGraphiQLFetcher({ url: endpoint });

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={config.query}
      initialVariables={config.variables}
      initialHeaders={config.headers}
      defaultEditorToolsVisibility={true}
      shouldPersistHeaders={false}
    />
  );
}

createRoot(document.getElementById('root')).render(<App />);
