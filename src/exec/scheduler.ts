/**
 * A dependency-aware job scheduler: runs each job once all of its dependencies succeeded, at
 * most `jobs` at a time. After a failure it starts nothing new (running jobs finish) unless
 * `keepGoing`; jobs whose dependencies failed are skipped. Ready siblings start in a seeded
 * shuffled order so a missing dependency edge shows up in tests instead of passing by luck.
 * Knows nothing of stages: the executor gives it closures.
 */

/** One unit of work. */
export interface Job<Id extends string = string> {
  readonly id: Id;
  /** Jobs that must succeed first. Ids not in the job list count as already satisfied. */
  readonly needs: readonly Id[];
  /** Does the work; resolves true on success. Must not throw for expected failures. */
  readonly run: () => Promise<boolean>;
}

/** What happened to each job. */
export type JobOutcome = "succeeded" | "failed" | "skipped-dependency-failed" | "skipped-stopped";

/** Scheduler settings. */
export interface ScheduleOptions {
  readonly jobs: number;
  readonly keepGoing: boolean;
  /** Seed for sibling shuffling (the same seed gives the same order). */
  readonly seed: number;
  readonly signal?: AbortSignal;
}

/** Small deterministic PRNG (mulberry32) for shuffling. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the jobs and returns each job's outcome. */
export async function schedule<Id extends string>(
  jobs: readonly Job<Id>[],
  options: ScheduleOptions,
): Promise<Map<Id, JobOutcome>> {
  const rand = prng(options.seed);
  const ids = new Set(jobs.map((j) => j.id));
  const outcome = new Map<Id, JobOutcome>();
  const pending = new Map(jobs.map((j) => [j.id, j]));
  let running = 0;
  let stopped = false;

  return new Promise((resolve) => {
    const finishIfDone = (): void => {
      if (running === 0 && pending.size === 0) resolve(outcome);
    };
    const pump = (): void => {
      if (options.signal?.aborted === true) stopped = true;
      // Skip everything that can no longer run.
      let changed = true;
      while (changed) {
        changed = false;
        for (const [id, job] of pending) {
          const failedDep = job.needs.find((n) => {
            const o = outcome.get(n);
            return o !== undefined && o !== "succeeded";
          });
          if (failedDep !== undefined) {
            outcome.set(id, "skipped-dependency-failed");
            pending.delete(id);
            changed = true;
          } else if (stopped && running === 0) {
            outcome.set(id, "skipped-stopped");
            pending.delete(id);
            changed = true;
          }
        }
      }
      if (stopped) {
        finishIfDone();
        return;
      }
      const ready = [...pending.values()].filter((j) =>
        j.needs.every((n) => !ids.has(n) || outcome.get(n) === "succeeded"),
      );
      for (let i = ready.length - 1; i > 0; i--) {
        const k = Math.floor(rand() * (i + 1));
        const tmp = ready[i];
        const other = ready[k];
        if (tmp !== undefined && other !== undefined) {
          ready[i] = other;
          ready[k] = tmp;
        }
      }
      for (const job of ready) {
        if (running >= Math.max(1, options.jobs)) break;
        pending.delete(job.id);
        running++;
        void job.run().then(
          (ok) => {
            running--;
            outcome.set(job.id, ok ? "succeeded" : "failed");
            if (!ok && !options.keepGoing) stopped = true;
            pump();
          },
          (e: unknown) => {
            running--;
            outcome.set(job.id, "failed");
            stopped = true;
            pump();
            throw e;
          },
        );
      }
      finishIfDone();
    };
    pump();
  });
}
