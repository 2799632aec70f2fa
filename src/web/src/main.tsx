/** Entry point of the web client (built by Vite; see ../vite.config.ts). */
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
