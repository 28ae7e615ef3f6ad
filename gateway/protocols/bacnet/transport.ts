/**
 * The UDP transport handed to @bacnet-js/client instead of its own: binds exactly the configured interface and
 * port without SO_REUSEADDR, broadcasts only to the configured address, and forgets its own broadcast echoes on
 * timers that do not keep the process alive (the library's do, for 10 s after every Who-Is).
 * BACnet/IP framing (BVLL, Annex J.2) stays in the library; this only moves datagrams.
 */
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';

const STANDARD_PORT = 47808;
const ECHO_MEMORY_MS = 2000;

/** The transport interface the library drives (open, send, close, events `message`, `listening`, `error`). */
export class BacnetTransport extends EventEmitter {
  private readonly socket: Socket;
  private readonly recentBroadcasts = new Set<Buffer>();
  private ownPort = 0;

  constructor(private readonly settings: { interface: string; port: number; broadcastAddress: string }) {
    super();
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => {
      // A broadcast we sent comes back to us when we listen on the subnet: drop exactly those datagrams.
      if (rinfo.port === this.ownPort) for (const sent of this.recentBroadcasts) if (sent.equals(msg)) return;
      // The library expects `ip` for the standard port and `ip:port` otherwise.
      this.emit('message', msg, rinfo.port === STANDARD_PORT ? rinfo.address : `${rinfo.address}:${rinfo.port}`);
    });
    this.socket.on('listening', () => {
      this.ownPort = this.socket.address().port;
      this.emit('listening', this.socket.address());
    });
    this.socket.on('error', (err) => this.emit('error', err));
    this.socket.on('close', () => this.emit('close'));
  }

  getBroadcastAddress(): string {
    return this.settings.broadcastAddress;
  }

  /** Buffer size the library allocates per message (BVLL + NPDU + a 1476-octet APDU fit). */
  getMaxPayload(): number {
    return 1497;
  }

  send(buffer: Buffer, offset: number, receiver?: string): void {
    const to = receiver ?? this.settings.broadcastAddress;
    if (!receiver) {
      const copy = Buffer.from(buffer.subarray(0, offset));
      this.recentBroadcasts.add(copy);
      setTimeout(() => this.recentBroadcasts.delete(copy), ECHO_MEMORY_MS).unref();
    }
    const colon = to.lastIndexOf(':');
    const host = colon > 0 ? to.slice(0, colon) : to;
    const port = colon > 0 ? Number(to.slice(colon + 1)) || STANDARD_PORT : STANDARD_PORT;
    this.socket.send(buffer, 0, offset, port, host);
  }

  open(): void {
    this.socket.bind(this.settings.port, this.settings.interface, () => this.socket.setBroadcast(true));
  }

  close(): void {
    try { this.socket.close(); } catch { /* already closed */ }
  }
}
