/**
 * A fake WebSocket for the tests: records what is sent and lets the test
 * open, answer and drop the connection.
 */
import { ServerConnection } from '@jupyterlab/services';

export class FakeSocket {
  static instances: FakeSocket[] = [];

  static reset(): void {
    FakeSocket.instances = [];
  }

  static get last(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  sent: unknown[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  // -- driven by the tests --
  open(): void {
    this.onopen?.({});
  }

  receive(message: unknown): void {
    this.onmessage?.({
      data: typeof message === 'string' ? message : JSON.stringify(message)
    });
  }

  drop(): void {
    this.onclose?.({});
  }
}

export function fakeSettings(
  overrides: Partial<ServerConnection.ISettings> = {}
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token: '',
    appendToken: false,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    ...overrides
  });
}
