/**
 * Playwright configuration: Galata's defaults, Debian's Chromium, and the
 * servers started for the run: the scripted LLM (the tests set its replies
 * over HTTP) and JupyterLab with the extension pointed at it, twice: with
 * real-time collaboration off (most tests) and on (collaboration.spec.ts).
 * Each worker has its own three servers (tests/ports.ts says on which ports).
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

import { LAB_PORT, portsOf, WORKERS } from './tests/ports';

const python =
  process.env.CODEACT_PYTHON ?? path.resolve(__dirname, '../.venv/bin/python');

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  // A worker runs whole files, in order, against its own servers: the tests of
  // a file share its JupyterLab and scripted LLM, never another worker's.
  // One by default (CODEACT_UI_WORKERS): two need a machine with the cores.
  workers: WORKERS,
  fullyParallel: false,
  retries: 0,
  // The workers share the machine with each other and with the Python tests.
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  outputDir: 'test-results',
  use: {
    ...baseConfig.use,
    // This worker's JupyterLab: each worker reads this file again.
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
  webServer: Array.from({ length: WORKERS }, (_, worker) =>
    servers(worker)
  ).flat()
});

/** The servers of one worker: the scripted LLM and its two JupyterLabs. */
function servers(worker: number) {
  const { lab, llm, rtc } = portsOf(worker);
  // The server logs go to files: they are long, and useful only when a test fails.
  const log = (name: string) =>
    worker === 0 ? `${name}.log` : `${name}-${worker}.log`;
  return [
    {
      command: `${python} -m jupyter_codeact.testing.scripted_llm --port ${llm}`,
      url: `http://127.0.0.1:${llm}/v1/models`,
      reuseExistingServer: false,
      timeout: 30_000
    },
    {
      command: `${python} -m jupyterlab --config jupyter_server_test_config.py 2> ${log('jupyter-server')}`,
      url: `http://127.0.0.1:${lab}/lab`,
      reuseExistingServer: false,
      timeout: 120_000,
      // Let the server stop its kernels and remove its temporary folders.
      gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 15_000 },
      env: {
        CODEACT_LLM_PORT: String(llm),
        CODEACT_LAB_PORT: String(lab)
      }
    },
    {
      // The same, with real-time collaboration on (tests/collaboration.spec.ts).
      command: `${python} -m jupyterlab --config jupyter_server_test_config.py 2> ${log('jupyter-server-rtc')}`,
      url: `http://127.0.0.1:${rtc}/lab`,
      reuseExistingServer: false,
      timeout: 120_000,
      gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 15_000 },
      env: {
        CODEACT_LLM_PORT: String(llm),
        CODEACT_RTC: '1',
        CODEACT_RTC_PORT: String(rtc)
      }
    }
  ];
}
