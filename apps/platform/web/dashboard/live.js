// Live state of one community: the device store, the socket.io connection and render coalescing.
//
// Store: Map deviceId -> { deviceId, communityId, kind, subtype, name, location, online, state, ts }
// (the shape of GET /api/v1/communities/:id/live). Socket events mutate the store and mark the
// device dirty; dirty devices are handed to the renderer once per animation frame, so a busy estate
// sending hundreds of events a second causes at most one DOM pass per frame.

import { api } from '../shared/api.js';
import { closeSocket, openSocket } from '../shared/session.js';

/** Merge a state update: top-level fields replace, `flags` objects replace wholesale. */
export function mergeState(prev, next) {
  if (!next || typeof next !== 'object') return prev ?? null;
  return { ...(prev || {}), ...next };
}

export class LiveStore {
  constructor() {
    this.devices = new Map();
    this.dirty = new Set();
    this.structureChanged = false; // a device appeared / disappeared: groups must be rebuilt
    this.frame = 0;
    this.listeners = new Set();
  }

  /** fn({ ids: Set<string>, structure: boolean }) runs at most once per frame. */
  onFlush(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Replace the store with a snapshot; a device whose live state is newer than the snapshot keeps it. */
  reset(list) {
    const prev = this.devices;
    this.devices = new Map();
    for (const d of list) {
      const old = prev.get(d.deviceId);
      const next = { ...d };
      if (old && old.ts != null && (next.ts == null || old.ts > next.ts)) {
        next.state = old.state;
        next.ts = old.ts;
      }
      this.devices.set(d.deviceId, next);
    }
    this.structureChanged = true;
    this.schedule();
  }

  get(id) {
    return this.devices.get(id);
  }

  all() {
    return [...this.devices.values()];
  }

  applyState(ev) {
    const d = this.devices.get(ev.deviceId);
    if (!d) return false;
    // ignore out-of-order updates (an older reading arriving after a newer one, e.g. backfill)
    if (d.ts != null && ev.ts != null && ev.ts < d.ts) return true;
    d.state = mergeState(d.state, ev.state);
    if (ev.ts != null) d.ts = ev.ts;
    this.markDirty(d.deviceId);
    return true;
  }

  applyStatus(ev) {
    const d = this.devices.get(ev.deviceId);
    if (!d) return false;
    d.online = !!ev.online;
    d.statusTs = ev.ts;
    this.markDirty(d.deviceId);
    return true;
  }

  markDirty(id) {
    this.dirty.add(id);
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const ids = this.dirty;
    const structure = this.structureChanged;
    this.dirty = new Set();
    this.structureChanged = false;
    for (const fn of this.listeners) fn({ ids, structure });
  }
}

/**
 * Socket connection for one community. Callbacks:
 *  onConnState(state, detail)  state: 'connecting' | 'live' | 'reconnecting' | 'down' | 'error'
 *  onUnknownDevice(id)         an event for a device not in the store (added after load)
 *  onResync()                  after a reconnect: reload the snapshot to catch up on missed events
 *  onPlatformAlert(alert)      an alert about the platform itself (only administrators get these)
 */
export class LiveConnection {
  constructor({ communityId, store, onConnState, onUnknownDevice, onResync, onPlatformAlert }) {
    this.communityId = communityId;
    this.store = store;
    this.onConnState = onConnState || (() => {});
    this.onUnknownDevice = onUnknownDevice || (() => {});
    this.onResync = onResync || (() => {});
    this.onPlatformAlert = onPlatformAlert || (() => {});
    this.socket = null;
    this.everConnected = false;
  }

  start() {
    if (typeof window.io !== 'function') {
      this.onConnState('error', 'socket.io client not loaded');
      return;
    }
    this.onConnState('connecting');
    // batch: one `device.states` per interval for the whole community instead of one message per device
    const socket = openSocket({ batch: true }, { reconnectionDelay: 1000, reconnectionDelayMax: 10000 });
    this.socket = socket;

    socket.on('connect', () => {
      const first = !this.everConnected;
      this.everConnected = true;
      this.onConnState('live');
      socket.timeout(5000).emit('subscribe', { communityId: this.communityId }, (timeoutErr, ack) => {
        if (!timeoutErr && ack && ack.ok === false) {
          this.onConnState('error', ack.error || 'subscribe refused');
          return;
        }
        // Close the gap between the snapshot and the subscription (and catch up after a reconnect).
        this.onResync(first);
      });
    });

    // A connection the server closed, or a refused handshake, is reopened by the shared session
    // (with a renewed token), which signs out when the session has ended.
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.onConnState('reconnecting', reason);
    });

    socket.on('connect_error', (err) => {
      this.onConnState('error', (err && (err.message || String(err))) || 'connect_error');
    });

    socket.on('device.states', (batch) => {
      if (!batch || batch.communityId !== this.communityId) return;
      for (const ev of batch.states) if (!this.store.applyState(ev)) this.onUnknownDevice(ev.deviceId);
    });

    socket.on('device.status', (ev) => {
      if (!ev || ev.communityId !== this.communityId) return;
      if (!this.store.applyStatus(ev)) this.onUnknownDevice(ev.deviceId);
    });

    socket.on('platform.alert', (alert) => {
      if (alert) this.onPlatformAlert(alert);
    });
  }

  stop() {
    closeSocket(this.socket);
    this.socket = null;
  }
}

/** Load the community snapshot into the store. */
export async function loadSnapshot(store, communityId, signal) {
  const list = await api.communityLive(communityId, { signal });
  store.reset(Array.isArray(list) ? list : []);
  return list;
}
