/**
 * Fixed ports of the servers the browser tests start (uncommon ones, so
 * that a JupyterLab already running on 8888 does not interfere).
 *
 * Each Playwright worker has servers of its own (a scripted LLM and two
 * JupyterLabs): worker n's ports are the first worker's plus 10 × n, so that
 * no test sees another's chats, replies or kernels.
 */
const BASE_LAB = Number(process.env.CODEACT_LAB_PORT ?? 8931);
const BASE_LLM = Number(process.env.CODEACT_LLM_PORT ?? 8932);
const BASE_RTC = Number(process.env.CODEACT_RTC_PORT ?? BASE_LAB + 2);

/** How many workers run the browser tests side by side (one by default). */
export const WORKERS = Math.max(1, Number(process.env.CODEACT_UI_WORKERS ?? 1));

/** The ports of one worker's servers. */
export function portsOf(worker: number): {
  lab: number;
  llm: number;
  rtc: number;
} {
  return {
    lab: BASE_LAB + 10 * worker,
    llm: BASE_LLM + 10 * worker,
    rtc: BASE_RTC + 10 * worker
  };
}

// Set by Playwright in each worker (0 .. workers - 1); unset in the runner.
const OURS = portsOf(Number(process.env.TEST_PARALLEL_INDEX ?? 0));

export const LAB_PORT = OURS.lab;
export const LLM_PORT = OURS.llm;
/** The JupyterLab with real-time collaboration on (tests/collaboration.spec.ts). */
export const RTC_PORT = OURS.rtc;
