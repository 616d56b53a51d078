/**
 * React hooks over Lumino signals.
 */
import { ISignal } from '@lumino/signaling';
import { useEffect, useReducer } from 'react';

/**
 * Re-render the component whenever one of `signals` is emitted.
 */
export function useSignals(
  ...signals: (ISignal<unknown, unknown> | null | undefined)[]
): void {
  const [, bump] = useReducer((count: number) => count + 1, 0);
  useEffect(() => {
    const slot = (): void => bump();
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
