/** Entry: start the watch stream and draw the app. */
import { render } from 'preact';
import './app.css';
import { App } from './app.js';
import { html } from './html.js';
import { Store } from './store.js';

const store = new Store();
store.start();
const root = document.getElementById('app')!;
root.textContent = ''; // the loading line
render(html`<${App} store=${store} />`, root);
