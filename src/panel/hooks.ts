/**
 * React hooks over Lumino signals.
 */
import { ISignal } from '@lumino/signaling';
import { useEffect, useReducer } from 'react';
import { flushSync } from 'react-dom';

/**
 * Re-render the component whenever one of `signals` is emitted.
 *
 * The render happens at once, in the task that emitted the signal (the
 * websocket message of a streamed token, typically) rather than in a task
 * React schedules later: on a busy page that hop costs tens of
 * milliseconds per token.
 */
export function useSignals(
  ...signals: (ISignal<unknown, unknown> | null | undefined)[]
): void {
  const [, bump] = useReducer((count: number) => count + 1, 0);
  useEffect(() => {
    let rendering = false;
    const slot = (): void => {
      if (rendering) {
        bump();
        return;
      }
      rendering = true;
      try {
        flushSync(bump);
      } finally {
        rendering = false;
      }
    };
    const connected = signals.filter(
      (signal): signal is ISignal<unknown, unknown> => !!signal
    );
    connected.forEach(signal => signal.connect(slot));
    return () => {
      connected.forEach(signal => signal.disconnect(slot));
    };
    // The signals themselves are the dependencies.
  }, signals);
}
