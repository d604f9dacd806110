// Time limits for Node tests that start a compiler, npm or other Node processes, sized for a busy
// 2-core machine: at a load of about 10 the README type-check took 12.8 s (under 2 s when idle)
// against vitest's 5 s default and failed the run. They are set per file or per test here;
// vitest.config.ts keeps vitest's defaults for the fast tests. A limit only bounds a hang: a test
// that passes still ends as soon as its work is done.

/** A test that runs the TypeScript compiler once or starts a few child Node processes. */
export const TOOL_TIMEOUT = 60_000

/** `npm pack` + `npm install`, or a strict `tsc` over the packed declarations. */
export const HEAVY_TOOL_TIMEOUT = 120_000

/** How long a child process may take to start and say it is ready. */
export const STARTUP_TIMEOUT = 30_000
