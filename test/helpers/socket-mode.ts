/**
 * A loopback stand-in for Slack's Socket Mode endpoint: a WebSocket server speaking Slack's envelope
 * protocol (https://api.slack.com/apis/socket-mode): `hello` when a client connects, envelopes of
 * `interactive` and `slash_commands` payloads each with an `envelope_id` the app must ack with
 * `{"envelope_id": …, "payload": …}`, and `disconnect` with a reason (`refresh_requested`) after
 * which the client opens a new connection through `apps.connections.open`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** What the app answered to an envelope. */
export interface EnvelopeAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSocketMode {
  /** The `ws://` URL `apps.connections.open` answers with. */
  url: string;
  /** Connections opened so far, and how many are open now. */
  connections(): { opened: number; open: number };
  /** Sends an envelope on the open connection and resolves with the app's ack. */
  send(type: 'interactive' | 'slash_commands' | 'events_api', payload: unknown): Promise<EnvelopeAck>;
  /** Sends Slack's `disconnect` frame (the app is expected to close and reconnect). */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Refuses new connections (the handshake fails) until `accept()`. */
  refuse(): void;
  accept(): void;
  close(): Promise<void>;
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const acks = new Map<string, (ack: EnvelopeAck) => void>();
  let opened = 0;
  let serial = 0;
  let refusing = false;
  let current: WebSocket | null = null;

  server.on('connection', (socket) => {
    if (refusing) {
      socket.close(1011, 'refused by the test');
      return;
    }
    opened += 1;
    current = socket;
    socket.on('message', (data) => {
      const ack = JSON.parse(String(data)) as EnvelopeAck;
      acks.get(ack.envelope_id)?.(ack);
      acks.delete(ack.envelope_id);
    });
    socket.on('close', () => {
      if (current === socket) current = null;
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'applink-loopback', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0LOOPBACK' },
      }),
    );
  });

  const openSocket = () => {
    const socket = current;
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new Error('no Socket Mode connection is open');
    return socket;
  };

  return {
    url: `ws://127.0.0.1:${port}/link/?ticket=loopback`,
    connections: () => ({
      opened,
      open: [...server.clients].filter((c) => c.readyState === WebSocket.OPEN).length,
    }),
    send(type, payload) {
      const socket = openSocket();
      serial += 1;
      const envelopeId = `env-${serial}-${Date.now()}`;
      const answered = new Promise<EnvelopeAck>((resolve) => acks.set(envelopeId, resolve));
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
      return answered;
    },
    disconnect(reason = 'refresh_requested') {
      openSocket().send(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-loopback' } }),
      );
    },
    refuse() {
      refusing = true;
    },
    accept() {
      refusing = false;
    },
    async close() {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
