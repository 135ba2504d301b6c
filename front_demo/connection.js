// One WebSocket to the Signify server (../shared/PROTOCOL.md, version 1),
// reconnecting with exponential backoff. Knows nothing about the page.

const CLOSE_MESSAGES = {
  1001: "The server is restarting.",
  1008: "The server refused this page (origin or token).",
  1009: "A frame was too large for the server.",
  1011: "The server hit an internal error in this session.",
  1013: "The server is at capacity.",
};

export class SignifyConnection {
  /**
   * @param {string} url ws:// or wss:// URL of the /ws endpoint
   * @param {object} handlers onReady(msg), onMessage(msg), onState(state, detail)
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.handlers.onState("connecting", "Connecting…");
    const socket = new WebSocket(this.url, ["signify"]);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let opened = false;
    socket.onopen = () => { opened = true; };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ready") {
        this.attempt = 0;
        this.handlers.onState("open", "Connected");
        this.handlers.onReady(message);
      } else {
        this.handlers.onMessage(message);
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const reason = CLOSE_MESSAGES[event.code] ??
        (opened ? "The connection was lost." : "Cannot reach the server.");
      this.scheduleRetry(reason);
    };
  }

  scheduleRetry(reason) {
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so that many pages do not return together.
    const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.handlers.onState("retrying", `${reason} Retrying in ${Math.ceil(delay / 1000)} s…`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(data) {
    if (this.isOpen) this.socket.send(data);
  }
}

/** Where the server is: ?server=, else the page's own origin or the port the page's server names. */
export async function resolveServerUrl(location) {
  const params = new URLSearchParams(location.search);
  let url = params.get("server");
  if (!url) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let host = location.host;
    let path = "/ws";
    try {
      const config = await (await fetch("config.json", { cache: "no-store" })).json();
      if (config.websocket_port) host = `${location.hostname}:${config.websocket_port}`;
      path = config.websocket_path ?? path;
    } catch {
      // Served by something else: assume the WebSocket shares the page's origin.
    }
    url = `${scheme}//${host}${path}`;
  }
  const token = params.get("token");
  if (token) {
    const withToken = new URL(url);
    withToken.searchParams.set("token", token);
    url = withToken.toString();
  }
  return url;
}
