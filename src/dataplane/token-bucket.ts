// Per-port token buckets for broadcast, multicast and unknown unicast, in typed arrays so
// the check allocates nothing. A bucket holds one second's worth of tokens.

export class TokenBuckets {
  private readonly rate: Float64Array;
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;

  constructor(maxPorts: number) {
    this.rate = new Float64Array(maxPorts);
    this.tokens = new Float64Array(maxPorts);
    this.last = new Float64Array(maxPorts);
  }

  /** Sets a port's rate in packets per second; 0 means unlimited. Starts with a full bucket. */
  configure(port: number, pps: number, now: number): void {
    this.rate[port] = pps;
    this.tokens[port] = pps;
    this.last[port] = now;
  }

  /** Takes one token; false when the port is over its rate. `now` is in seconds. */
  take(port: number, now: number): boolean {
    const rate = this.rate[port]!;
    if (rate === 0) return true;
    const burst = rate < 1 ? 1 : rate;
    let t = this.tokens[port]! + (now - this.last[port]!) * rate;
    if (t > burst) t = burst;
    this.last[port] = now;
    if (t < 1) {
      this.tokens[port] = t;
      return false;
    }
    this.tokens[port] = t - 1;
    return true;
  }
}
