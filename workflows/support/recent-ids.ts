/**
 * A bounded, insertion-ordered set of ids. Temporal dedupes Update ids only within one run, so the workflow
 * carries the most recent ids through continue-as-new as a plain array (oldest first).
 */
export class RecentIds {
  private readonly ids: Set<string>;

  constructor(
    initial: readonly string[] = [],
    private readonly capacity = 2_000,
  ) {
    this.ids = new Set(initial.slice(-capacity));
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }

  toJSON(): string[] {
    return [...this.ids];
  }
}
