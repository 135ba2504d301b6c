// Frame pacing: one frame in flight, the next only when it was answered, dropped
// or refused, and never faster than the server's max_fps. The page thus runs at
// whatever pace the server manages, without a queue anywhere.

// An answer lost to a reconnect or a bug must not stall the stream for good.
const ANSWER_TIMEOUT_MS = 3000;
// After a rate_limited error, send this much slower, then creep back up.
const SLOWDOWN = 1.5;
const RECOVERY = 0.98;

export class FramePump {
  /**
   * @param {() => Promise<ArrayBuffer|null>} grab the next camera frame
   * @param {(frame: ArrayBuffer) => boolean} send false when the socket is not open
   */
  constructor(grab, send) {
    this.grab = grab;
    this.send = send;
    this.running = false;
    this.minIntervalMs = 1000 / 30;
    this.intervalMs = this.minIntervalMs;
    this.lastId = 0; // the server numbers a connection's frames 1, 2, 3 … in arrival order
    this.inFlight = null; // { id, sentAt }
    this.lastSentAt = 0;
    this.timer = null;
    this.watchdog = null;
    this.onSettled = () => {};
  }

  /** Start sending on a fresh connection, at most `maxFps` frames a second. */
  start(maxFps) {
    this.minIntervalMs = 1000 / Math.max(1, maxFps || 30);
    this.intervalMs = this.minIntervalMs;
    this.lastId = 0;
    this.inFlight = null;
    this.running = true;
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.checkStalled(), ANSWER_TIMEOUT_MS / 4);
    this.schedule();
  }

  stop() {
    this.running = false;
    this.inFlight = null;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
  }

  /** The server answered frame `id` (a prediction, a dropped notice or an error). */
  settle(id, { rateLimited = false } = {}) {
    if (rateLimited) {
      this.intervalMs = Math.min(1000, this.intervalMs * SLOWDOWN);
    } else {
      this.intervalMs = Math.max(this.minIntervalMs, this.intervalMs * RECOVERY);
    }
    // An answer to our frame or a later one frees the slot; an error without an id
    // (which frame it was is unknown) does too, so the stream never waits on it.
    if (!this.inFlight || (id !== null && id !== undefined && id < this.inFlight.id)) return;
    const roundTripMs = performance.now() - this.inFlight.sentAt;
    this.inFlight = null;
    this.onSettled(roundTripMs);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.running || this.inFlight) return;
    const wait = this.lastSentAt + this.intervalMs - performance.now();
    if (wait <= 0) {
      // Due already: no timer, whose task could wait behind a whole frame of on-device tracking.
      this.sendNext();
    } else {
      this.timer = setTimeout(() => this.sendNext(), wait);
    }
  }

  async sendNext() {
    if (!this.running || this.inFlight) return;
    this.lastSentAt = performance.now();
    const frame = await this.grab();
    if (!this.running || this.inFlight) return;
    if (frame && this.send(frame)) {
      this.lastId += 1;
      this.inFlight = { id: this.lastId, sentAt: performance.now() };
    } else {
      this.schedule(); // no picture yet: look again at the next tick
    }
  }

  checkStalled() {
    if (this.inFlight && performance.now() - this.inFlight.sentAt > ANSWER_TIMEOUT_MS) {
      this.inFlight = null;
      this.schedule();
    }
  }
}
