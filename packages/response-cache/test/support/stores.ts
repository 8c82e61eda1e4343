import type { Store } from '@stores/core';

/** A store that counts the `get`s it has answered (to know when concurrent lookups have all missed). */
export function watchingGets(store: Store): { store: Store; answered: () => number } {
  let answered = 0;
  const watched = new Proxy(store, {
    get(target, property) {
      if (property === 'get') {
        return async (...args: Parameters<Store['get']>) => {
          const result = await target.get(...args);
          answered++;
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: watched, answered: () => answered };
}
