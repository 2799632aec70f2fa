/**
 * The folder `src/server`, for files the server reads beside its code (the explorer's page, the web client's
 * build). Found from this module's own URL, which is `src/server/kernel/` when the server runs from its
 * sources (tsx) and `src/server/dist/` when it runs bundled (`npm start`: `npm run build:server`); both are
 * one folder below `src/server`.
 */
export const SERVER_DIR = new URL('../', import.meta.url);
