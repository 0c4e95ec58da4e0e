import { ShimError } from './errors.js';

/**
 * One request's deadline: a single timer, started when the request arrives
 * and cleared when it is answered. Every step (management-API calls, the
 * wait for the operator) races it, so no request outlives it.
 */
export class Deadline {
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;
  /** What the request is doing now; the 504 says it. */
  private step = 'starting';
  private detail?: () => string | undefined;

  constructor(readonly ms: number) {
    let expire!: (err: Error) => void;
    this.expired = new Promise<never>((_, reject) => (expire = reject));
    // Nobody may be racing when it fires (between steps): that is not an unhandled rejection.
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => expire(this.timeoutError()), ms);
  }

  /** Runs a step against the deadline; `detail` adds what is known at expiry (e.g. the object's last condition). */
  race<T>(step: string, work: Promise<T>, detail?: () => string | undefined): Promise<T> {
    this.step = step;
    this.detail = detail;
    return Promise.race([work, this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private timeoutError(): ShimError {
    const detail = this.detail?.();
    return new ShimError(504, `no answer within ${this.ms} ms while ${this.step}${detail ? ` (${detail})` : ''}; what was written stays and is complete: send the same request again to wait on, and check the operator's logs and the resource's conditions`);
  }
}
