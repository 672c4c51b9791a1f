// A bounded map that forgets the least recently used entry: what rooms keep per author and per kid
// ([ROOM-3.4], [ROOM-4.2]), so no peer can grow it past its cap.

export class Lru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly cap: number) {}

  get size(): number {
    return this.#map.size;
  }

  /** The value, marked as used. */
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.cap) this.#map.delete(this.#map.keys().next().value!);
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  clear(): void {
    this.#map.clear();
  }
}
