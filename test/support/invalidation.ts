/**
 * Test helpers around invalidation channels: an in-process channel, and a wrapper that lets a
 * test wait for a channel's status changes and messages instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import type { Invalidation, InvalidationChannel } from '../../src/storage/invalidation.js';

/** Channels sharing one in-process bus; `setDown()` makes every subscriber report a lost connection. */
export function memoryChannelBus() {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  let down = false;
  const statuses = new Set<(listening: boolean) => void>();
  return {
    channel(): InvalidationChannel {
      return {
        async publish(message) {
          if (down) throw new Error('channel down');
          bus.emit('message', message);
        },
        async subscribe(listener, onStatus) {
          const deliver = (message: Invalidation) => {
            if (!down) listener(message);
          };
          bus.on('message', deliver);
          statuses.add(onStatus);
          onStatus(!down);
          return async () => {
            bus.off('message', deliver);
            statuses.delete(onStatus);
          };
        },
      };
    },
    setDown(value: boolean) {
      down = value;
      for (const onStatus of statuses) onStatus(!value);
    },
  };
}

/** A channel wrapper that records statuses and messages, and resolves waits on them. */
export function observedChannel(inner: InvalidationChannel) {
  const messages: Invalidation[] = [];
  let listening = false;
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (waiter.test()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      if (test()) resolve();
      else waiters.push({ test, resolve });
    });
  const channel: InvalidationChannel = {
    publish: (message) => inner.publish(message),
    subscribe: (listener, onStatus) =>
      inner.subscribe(
        (message) => {
          listener(message);
          messages.push(message);
          settle();
        },
        (value) => {
          onStatus(value);
          listening = value;
          settle();
        },
      ),
  };
  return {
    channel,
    messages,
    get listening() {
      return listening;
    },
    /** Resolves once the channel reports `value`. */
    status: (value: boolean) => until(() => listening === value),
    /** Resolves once a message matching `match` has been delivered (and handled by the cache). */
    received: (match: (message: Invalidation) => boolean) => until(() => messages.some(match)),
  };
}
