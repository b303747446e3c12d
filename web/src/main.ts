import './styles.css';

// Bootstrap: read the runtime settings the host serves beside index.html, then start the app.
async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (root === null) return;
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) {
    root.textContent = `The page could not read its settings (config.json answered ${response.status}).`;
    return;
  }
  root.textContent = 'Loading…';
}

void start();
