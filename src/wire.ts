/**
 * The chat wire protocol between the panel and the server. Its types and
 * guards are generated from `jupyter_codeact/server/wire_schema.py` into
 * `./wire/generated` (what the messages mean: `jupyter_codeact/server/protocol.py`);
 * this module adds what is not schema: decoding a message.
 */
import { isServerMessage, ServerMessage } from './wire/generated';

export * from './wire/generated';

/**
 * Decode and check one message from the server.
 *
 * @returns the message, or null when it is not JSON or does not follow
 *   the protocol (the caller logs and ignores it).
 */
export function parseServerMessage(data: unknown): ServerMessage | null {
  let message: unknown = data;
  if (typeof data === 'string') {
    try {
      message = JSON.parse(data);
    } catch {
      return null;
    }
  }
  return isServerMessage(message) ? message : null;
}
