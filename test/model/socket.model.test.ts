// Model-based test of SteadySocket (STYLE.md, testing layer 4): random options, then random
// sequences of user commands, server and network events, clock ticks and re-entrant calls armed
// on any event or user callback, against the shipped FakeServer. The contract's invariants
// (API.md) are checked inside every hook and after every step; at the end a friendly world must
// bring the socket to 'open' (or explain 'closed'), dispose() must leave nothing behind, and
// every send() must be accounted for exactly once.
//
//   npx vitest run --project model                        default runs, a fresh seed (printed)
//   MODEL_RUNS=50000 npx vitest run --project model        a long run
//   MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest ...     replay a counterexample fast-check printed
//   MODEL_IGNORE='text|…' / MODEL_AVOID='text|…'          look past a known bug (see run.ts)
import fc from 'fast-check'
import { test } from 'vitest'
import { assertParams, avoided, banner, budget, modelSettings } from './run'
import { runSocketModel } from './socket-harness'
import { configArb, stepLabel, stepsArb } from './steps'

const RUNS = 2000
const MAX_STEPS = 25
const settings = modelSettings(RUNS)
const time = budget(settings.runs, 15)

test(
  'SteadySocket keeps its contract under random commands, events and re-entrant calls',
  async () => {
    console.log(banner('SteadySocket model', settings))
    await fc.assert(
      fc.asyncProperty(configArb, stepsArb(MAX_STEPS), async (cfg, steps) => {
        const labels = steps.map(stepLabel)
        fc.pre(!avoided(labels))
        await runSocketModel(cfg, steps)
      }),
      assertParams(settings, time.interrupt),
    )
  },
  time.timeout,
)
