/** The simulated clock: a priority queue of events by (time, insertion order). Deterministic, no real timers. */
export class EventQueue<E> {
  private heap: Array<{ time: number; seq: number; event: E }> = [];
  private seq = 0;
  private current = 0;

  /** Simulated milliseconds since the start. */
  get now(): number {
    return this.current;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Run `event` `delayMs` from now (never in the past). */
  schedule(delayMs: number, event: E): void {
    this.push({ time: this.current + Math.max(0, delayMs), seq: this.seq++, event });
  }

  /** Next event, advancing the clock to it; undefined when none is left. */
  pop(): E | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop() as (typeof this.heap)[number];
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    this.current = top.time;
    return top.event;
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    return this.heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as (typeof this.heap)[number];
    const b = this.heap[j] as (typeof this.heap)[number];
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j] as (typeof this.heap)[number], this.heap[i] as (typeof this.heap)[number]];
  }

  private push(item: (typeof this.heap)[number]): void {
    this.heap.push(item);
    for (let i = this.heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
