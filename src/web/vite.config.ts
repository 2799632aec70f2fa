/**
 * The web client's build (Vite 8: Rolldown, Oxc). Preact with the automatic JSX runtime set on Oxc (what
 * Vite 8 transforms TypeScript and JSX with; the Preact preset is not installed and would add only HMR and
 * devtools). The SDK is imported only by its package name, `@sealed-relay/client`, resolved to the source of
 * the package's `browser` entry (src/client/browser.ts, what `exports["."].browser` is compiled from); a
 * plugin fails the build on any other import of a file under src/client. The output (src/web/dist) is what
 * the server serves at `/` (src/server/http/web-app.ts); `npm run dev:web` serves it with hot reload and
 * passes /graphql (and its socket) and /attachments to a server on :4000.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SDK_ENTRY = here('../client/browser.ts');
const SDK_DIR = here('../client/');
const WEB_DIR = here('./');

/** `@sealed-relay/client` is the SDK's browser entry; any other import of an SDK file from the app fails the build. */
function publicSdkOnly(): Plugin {
  return {
    name: 'sealed-relay:public-sdk-only',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source === '@sealed-relay/client') return SDK_ENTRY;
      if (!importer?.startsWith(WEB_DIR)) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (r?.id.startsWith(SDK_DIR)) this.error(`${importer} imports ${source}: use the package entry '@sealed-relay/client' only`);
      return null;
    },
  };
}

export default defineConfig({
  root: WEB_DIR,
  base: '/',
  publicDir: 'public',
  plugins: [publicSdkOnly()],
  resolve: {
    conditions: ['browser', 'module', 'import', 'default'],
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.WEB_BUILD_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // no inline data: assets and no inline module-preload polyfill: everything is a file under the page's CSP
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://localhost:4000', ws: true },
      '/attachments': 'http://localhost:4000',
    },
  },
});
