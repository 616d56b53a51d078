/**
 * Playwright configuration: Galata's defaults, Debian's Chromium, and the
 * servers started for the run: the scripted LLM (the tests set its replies
 * over HTTP) and JupyterLab with the extension pointed at it, twice: with
 * real-time collaboration off (most tests) and on (collaboration.spec.ts).
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

import { LAB_PORT, LLM_PORT, RTC_PORT } from './tests/ports';

const python =
  process.env.CODEACT_PYTHON ?? path.resolve(__dirname, '../.venv/bin/python');

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  // One JupyterLab and one scripted LLM serve every test: run them in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  outputDir: 'test-results',
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${LAB_PORT}`,
    trace: 'retain-on-failure',
    // Video needs Playwright's own ffmpeg, which is not installed here.
    video: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: [
    {
      command: `${python} -m jupyter_codeact.testing.scripted_llm --port ${LLM_PORT}`,
      url: `http://127.0.0.1:${LLM_PORT}/v1/models`,
      reuseExistingServer: false,
      timeout: 30_000
    },
    {
      // The server log goes to a file: it is long, and useful only when a test fails.
      command: `${python} -m jupyterlab --config jupyter_server_test_config.py 2> jupyter-server.log`,
      url: `http://127.0.0.1:${LAB_PORT}/lab`,
      reuseExistingServer: false,
      timeout: 120_000,
      // Let the server stop its kernels and remove its temporary folders.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      env: {
        CODEACT_LLM_PORT: String(LLM_PORT),
        CODEACT_LAB_PORT: String(LAB_PORT)
      }
    },
    {
      // The same, with real-time collaboration on (tests/collaboration.spec.ts).
      command: `${python} -m jupyterlab --config jupyter_server_test_config.py 2> jupyter-server-rtc.log`,
      url: `http://127.0.0.1:${RTC_PORT}/lab`,
      reuseExistingServer: false,
      timeout: 120_000,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      env: {
        CODEACT_LLM_PORT: String(LLM_PORT),
        CODEACT_RTC: '1',
        CODEACT_RTC_PORT: String(RTC_PORT)
      }
    }
  ]
});
