// One WebSocket per tab: resumes with ?since=<last seq>, reconnects with
// exponential backoff and jitter, shows its state, and after a `reset` asks
// the page to reload its data over REST.

const MIN_DELAY = 500, MAX_DELAY = 30000;

/** Live is the tab's socket. Subscribe with on(eventName|"*", fn). */
export class Live {
  constructor() {
    this.seq = Number(sessionStorage.getItem("crumb.seq") || 0) || 0;
    this.handlers = new Map();
    this.state = "offline";
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.pingTimer = null;
    this.stopped = true;
    this.stateListeners = new Set();
    this.resetListeners = new Set();
  }

  /** on registers fn for an event type ("shift.assigned") or "*"; returns an unsubscribe function. */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }
  onState(fn) { this.stateListeners.add(fn); fn(this.state); return () => this.stateListeners.delete(fn); }
  onReset(fn) { this.resetListeners.add(fn); return () => this.resetListeners.delete(fn); }

  setState(s) {
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    this.setState("offline");
  }

  /** send writes a client message (e.g. bakery counts); false when not connected. */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  connect(delayOverride) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.setState("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = this.seq > 0 ? `?since=${this.seq}` : "";
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws${q}`);
    this.ws = ws;
    ws.onopen = () => { this.setState("syncing"); };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = (ev) => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // 4001: the session ended; 4002: the person's topics changed.
      if (ev.code === 4001 || ev.code === 4002) this.dispatch(`close.${ev.code}`, { data: { code: ev.code } });
      if (this.stopped) return;
      this.setState("offline");
      this.schedule(delayOverride);
      delayOverride = undefined;
    };
    ws.onerror = () => {};
  }

  /** schedule reconnects after a backoff with full jitter (or the server's after_ms). */
  schedule(afterMs) {
    let delay;
    if (afterMs !== undefined) delay = afterMs + Math.random() * 250;
    else {
      const cap = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
      delay = cap / 2 + Math.random() * cap / 2;
      this.attempt++;
    }
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(text) {
    let f;
    try { f = JSON.parse(text); } catch (_) { return; }
    switch (f.type) {
      case "event":
        if (f.seq <= this.seq) return; // duplicate after a resume
        this.remember(f.seq);
        this.dispatch(f.event, f);
        break;
      case "ready":
        if (f.seq > this.seq) this.remember(f.seq);
        this.attempt = 0;
        this.setState("live");
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.send({ type: "ping" }), 25000);
        break;
      case "reset":
        this.remember(0);
        for (const fn of this.resetListeners) fn();
        this.dropAndReconnect(0);
        break;
      case "reconnect":
        this.dropAndReconnect(Number(f.after_ms) || 0);
        break;
      default:
        this.dispatch(f.type, f);
    }
  }

  dropAndReconnect(afterMs) {
    const ws = this.ws;
    this.ws = null;
    if (ws) { ws.onclose = null; ws.close(1000); }
    clearInterval(this.pingTimer);
    this.setState("connecting");
    this.schedule(afterMs);
  }

  remember(seq) {
    this.seq = seq;
    try { sessionStorage.setItem("crumb.seq", String(seq)); } catch (_) { /* private mode */ }
  }

  dispatch(type, frame) {
    for (const key of [type, "*"]) {
      const set = this.handlers.get(key);
      if (set) for (const fn of [...set]) { try { fn(frame.data, frame); } catch (err) { console.error(err); } }
    }
  }
}
