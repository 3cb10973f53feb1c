import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { webSocketStation } from '../../core/station-ws-client';
import './styles.css';

// In Electron the preload provides window.station; served by the browser host, the page talks
// to the same station over a WebSocket, with the token the host put in the address.
if ((window as { station?: unknown }).station === undefined) {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  const url = `ws://${window.location.host}/station?token=${encodeURIComponent(token)}`;
  Object.defineProperty(window, 'station', { value: webSocketStation(url, WebSocket), writable: false });
}

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
