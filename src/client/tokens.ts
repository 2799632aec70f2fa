/**
 * The device's access token: exchanged for the device secret (`createAccessToken`), refreshed shortly before
 * it expires. The socket authenticated with the old token stops accepting new operations once it expires,
 * so a renewal also reconnects the socket (subscriptions resume; the inbox redelivers only unacknowledged
 * envelopes, which are recognised).
 */
import type { ClientContext } from './context.js';
import { CreateAccessTokenDocument } from './generated/graphql.js';
import { domainError } from './transport.js';

export class AccessTokens {
  private token: { value: string; expiresAt: number } | null = null;
  private refreshing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private renewing = false;

  constructor(private readonly ctx: ClientContext) {}

  private get margin(): number {
    return this.ctx.opts.tokenRefreshMarginMs ?? 60_000;
  }

  /** Uses a token the server just issued (at registration or linking). */
  set(value: string, expiresAt: string): void {
    this.token = { value, expiresAt: Date.parse(expiresAt) };
  }

  /** A valid access token, refreshed with the device secret shortly before it expires (or now, with `refresh`). */
  get(refresh = false): Promise<string> {
    if (!refresh && this.token && this.token.expiresAt - Date.now() > this.margin) return Promise.resolve(this.token.value);
    this.refreshing ??= (async () => {
      try {
        const { credentials, transport } = this.ctx;
        const r = (
          await transport.request(CreateAccessTokenDocument, { credential: credentials.deviceCredential }, { auth: false })
        ).createAccessToken;
        if (r.__typename !== 'AccessToken') throw domainError(r);
        this.token = { value: r.token, expiresAt: Date.parse(r.expiresAt) };
        this.schedule();
        return r.token;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Renews the token (and reconnects the socket) before each expiry, until stopRenewal(). */
  startRenewal(): void {
    this.renewing = true;
    this.schedule();
  }

  stopRenewal(): void {
    this.renewing = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.renewing || !this.token) return;
    if (this.timer) clearTimeout(this.timer);
    const t = setTimeout(
      () => {
        this.timer = null;
        void this.get(true)
          .then(() => this.ctx.transport.terminateSocket())
          .catch((e) => this.ctx.events.emit('error', e));
      },
      Math.max(1_000, this.token.expiresAt - this.margin - Date.now()),
    );
    (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }
}
