/**
 * Fixed ports of the servers the browser tests start (uncommon ones, so
 * that a JupyterLab already running on 8888 does not interfere).
 */
export const LAB_PORT = Number(process.env.CODEACT_LAB_PORT ?? 8931);
export const LLM_PORT = Number(process.env.CODEACT_LLM_PORT ?? 8932);
/** The JupyterLab with real-time collaboration on (tests/collaboration.spec.ts). */
export const RTC_PORT = Number(process.env.CODEACT_RTC_PORT ?? LAB_PORT + 2);
