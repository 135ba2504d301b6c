// One WebSocket to the Signify server (../PROTOCOL.md, version 2),
// reconnecting with exponential backoff. Knows nothing about the page.

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 15000;
// After 1001 (a deploy or a restart: the load balancer has another replica ready) and a
// lost connection, the first retry comes sooner, so that signing goes on within a second.
const QUICK_RETRY_MS = 150;
const QUICK_CODES = new Set([1001, 1006, 1011]);
// A black-holed address can leave a socket "connecting" for minutes.
const CONNECT_TIMEOUT_MS = 10000;

// Close codes a retry cannot fix: the page stays down until the person acts.
const FINAL_CODES = new Set([1008]);
const CLOSE_MESSAGES = {
  1001: "The server is restarting.",
  1008: "The server refused this page.",
  1009: "A frame was too large for the server.",
  1011: "The server hit an internal error in this session.",
  1013: "The server is at capacity: every seat is taken, or every seat one address may hold.",
};

/**
 * States reported to onState(state, detail, closeCode):
 * "connecting", "open", "retrying" (detail says why and when), "failed" (no automatic retry).
 */
export class SignifyConnection {
  /**
   * @param {string} url ws:// or wss:// URL of the /ws endpoint
   * @param {{onReady: Function, onMessage: Function, onState: Function}} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.connectTimer = null;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.handlers.onState("connecting", "Connecting…");
    let socket;
    try {
      socket = new WebSocket(this.url, ["signify"]);
    } catch (error) {
      // A malformed URL, or ws:// from an https:// page.
      this.handlers.onState("failed", `Cannot open ${this.url}: ${error.message}`);
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let ready = false;
    this.connectTimer = setTimeout(() => socket.close(), CONNECT_TIMEOUT_MS);
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to interpret; the protocol only sends JSON text
      }
      if (message.type === "ready" && !ready) {
        ready = true;
        clearTimeout(this.connectTimer);
        this.attempt = 0;
        this.handlers.onState("open", "Connected");
        this.handlers.onReady(message);
      } else {
        this.handlers.onMessage(message);
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      clearTimeout(this.connectTimer);
      this.socket = null;
      const reason = closeMessage(event, ready);
      if (FINAL_CODES.has(event.code)) {
        this.handlers.onState("failed", reason, event.code);
      } else {
        this.scheduleRetry(reason, event.code);
      }
    };
  }

  scheduleRetry(reason, code) {
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so that many pages do not return together.
    const delay = retryDelayMs(this.attempt, code, Math.random());
    this.attempt += 1;
    const retrying = code === 1013 ? "Busy, retrying" : "Retrying";
    this.handlers.onState("retrying", `${reason} ${retrying} in ${Math.ceil(delay / 1000)} s…`, code);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Try again now, whatever the backoff says (the person pressed Retry). */
  retryNow() {
    this.attempt = 0;
    this.connect();
  }

  /** Close and stay closed until connect() or retryNow(). */
  stop() {
    clearTimeout(this.retryTimer);
    this.dropSocket();
  }

  dropSocket() {
    clearTimeout(this.connectTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close(1000);
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(data) {
    if (!this.isOpen) return false; // nothing is queued while disconnected: a camera frame is sent live or never
    this.socket.send(data);
    return true;
  }
}

/**
 * How long to wait before reconnect attempt `attempt` (0 first) after a close with `code`:
 * exponential from 0.5 s (0.15 s for the first retry after 1001, 1006 or 1011) up to 15 s,
 * jittered by ±25% with `random` in [0, 1) so that the pages a deploy closed do not all return at once.
 */
export function retryDelayMs(attempt, code, random) {
  const first = attempt === 0 && QUICK_CODES.has(code) ? QUICK_RETRY_MS : FIRST_RETRY_MS * 2 ** attempt;
  return Math.min(LAST_RETRY_MS, first) * (0.75 + random * 0.5);
}

function closeMessage(event, ready) {
  if (event.code === 1008 && /token/i.test(event.reason)) {
    // U+2060 keeps "?token=" on one line.
    return "The server refused this page: its access token is missing or wrong (open the page with ?\u2060token=…).";
  }
  if (event.code === 1008 && event.reason) return `The server refused this page: ${event.reason}.`;
  // Behind a load balancer whose replicas are all full, the handshake itself is refused (HTTP 503): 1006.
  return CLOSE_MESSAGES[event.code] ?? (ready ? "The connection was lost." : "Cannot reach the server, or it is busy.");
}

/**
 * Where the server is: ?server= if given, else the page's own origin, or the WebSocket
 * port that the page's server names in config.json (the health port serves the page too).
 * A ?token= on the page is passed on to the WebSocket URL.
 */
export async function resolveServerUrl(location) {
  const params = new URLSearchParams(location.search);
  const secure = location.protocol === "https:";
  let url = params.get("server") ? normalizeServerUrl(params.get("server"), secure) : null;
  if (!url) {
    let host = location.host;
    let path = "/ws";
    try {
      const response = await fetch("config.json", { cache: "no-store" });
      const config = await response.json();
      if (config.websocket_port) host = `${location.hostname}:${config.websocket_port}`;
      path = config.websocket_path ?? path;
    } catch {
      // Served by something else: assume the WebSocket shares the page's origin.
    }
    url = `${secure ? "wss:" : "ws:"}//${host}${path}`;
  }
  const token = params.get("token");
  if (token) {
    const withToken = new URL(url);
    withToken.searchParams.set("token", token);
    url = withToken.toString();
  }
  return url;
}

/** Accept what people paste: ws://h:p/ws, http://h:p, or plain h:p. */
export function normalizeServerUrl(text, secure) {
  let value = text.trim();
  if (!/^[a-z]+:\/\//i.test(value)) value = `${secure ? "wss" : "ws"}://${value}`;
  const url = new URL(value);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/ws";
  return url.toString();
}
