// One `web` and one Chromium for a test file: started before its first test, stopped after its
// last. The returned object's `server` and `browser` are set once `before` has run.
import { before, after } from 'node:test';
import { startWeb } from './server.mjs';
import { launch } from './browser.mjs';

export function serverAndBrowser() {
  const session = { server: undefined, browser: undefined };
  before(async () => {
    session.server = await startWeb();
    session.browser = await launch();
  });
  after(async () => {
    await session.browser?.close();
    await session.server?.stop();
  });
  return session;
}
