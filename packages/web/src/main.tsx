import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createConferApi } from './api-client.ts';
import { ApiContext } from './api-context.ts';
import { App } from './app.tsx';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element to render Confer into');

const api = createConferApi();

createRoot(container).render(
  <StrictMode>
    <ApiContext value={api}>
      <App now={() => new Date()} />
    </ApiContext>
  </StrictMode>,
);
