/**
 * React hooks over Lumino signals.
 */
import { ISignal } from '@lumino/signaling';
import { useEffect, useReducer } from 'react';
import { flushSync } from 'react-dom';

/**
 * The shortest time between two renders of the chat's entries. A lone
 * change (a streamed token, typically) renders at once; a burst of changes
 * (the messages around an action) renders once at the end of the interval,
 * so that the page is free to start the action's cell sooner.
 */
export const MIN_RENDER_INTERVAL_MS = 16;

type MaybeSignal = ISignal<unknown, unknown> | null | undefined;

/**
 * Re-render the component whenever one of `signals` is emitted.
 *
 * The render happens at once, in the task that emitted the signal, rather
 * than in a task React schedules later (on a busy page that hop costs tens
 * of milliseconds per token).
 */
export function useSignals(...signals: MaybeSignal[]): void {
  useSignalRenders(0, signals);
}

/**
 * As {@link useSignals}, but a change less than `interval` ms after the
 * last render waits for one render at the end of the interval. For views
 * that receive bursts (never for an input the user types in).
 */
export function useThrottledSignals(
  interval: number,
  ...signals: MaybeSignal[]
): void {
  useSignalRenders(interval, signals);
}

function useSignalRenders(interval: number, signals: MaybeSignal[]): void {
  const [, bump] = useReducer((count: number) => count + 1, 0);
  useEffect(() => {
    let rendering = false;
    let last = -Infinity;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const renderNow = (): void => {
      timer = null;
      rendering = true;
      last = performance.now();
      try {
        flushSync(bump);
      } finally {
        rendering = false;
      }
    };
    const slot = (): void => {
      if (rendering) {
        bump();
        return;
      }
      if (timer !== null) {
        return; // a render is already on its way
      }
      const wait = last + interval - performance.now();
      if (wait <= 0) {
        renderNow();
      } else {
        timer = setTimeout(renderNow, wait);
      }
    };
    const connected = signals.filter(
      (signal): signal is ISignal<unknown, unknown> => !!signal
    );
    connected.forEach(signal => signal.connect(slot));
    return () => {
      if (timer !== null) {
        clearTimeout(timer);
      }
      connected.forEach(signal => signal.disconnect(slot));
    };
    // The signals themselves are the dependencies.
  }, signals);
}
