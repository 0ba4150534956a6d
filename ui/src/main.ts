/** Entry: start the watches and draw the app. */
import { render } from 'preact';
import './app.css';
import { setWriteGate } from './api.js';
import { App } from './app.js';
import { html } from './html.js';
import { Store } from './store.js';

const store = new Store();
store.start();
setWriteGate((fn) => store.write(fn));
const root = document.getElementById('app')!;
root.textContent = ''; // the loading line
render(html`<${App} store=${store} />`, root);
