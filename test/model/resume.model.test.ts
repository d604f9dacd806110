// Model-based test of resumable sessions (STYLE.md, testing layer 4): the SteadySocket model
// (socket-harness.ts, every invariant of it) with `resume` on and a ResumableServer behind the
// FakeServer (resume-world.ts): the server's application sends, the server restarts or crashes,
// sessions expire, connections die with frames in flight both ways, and re-entrant calls are
// armed on every hook, the `session` event included. After every step: each direction of a
// session delivers every message exactly once and in order, `unconfirmed` is exactly what the
// old session left unacknowledged, both buffers stay within maxBytes, and no message is ever
// delivered twice.
//
//   npx vitest run --project model test/model/resume.model.test.ts     default runs, fresh seed
//   MODEL_RUNS=20000 …                                                   a long run
//   MODEL_SEED=<seed> MODEL_PATH=<path> …                                replay a counterexample
import fc from 'fast-check'
import { test } from 'vitest'
import { ResumeWorld, type ResumeConfig } from './resume-world'
import { assertParams, avoided, banner, budget, modelSettings } from './run'
import { runSocketModel } from './socket-harness'
import { configArb, RESUME_HOOKS, resumeSteps, stepLabel, stepsArb } from './steps'

const RUNS = 800
const MAX_STEPS = 25
const settings = modelSettings(RUNS)
const time = budget(settings.runs, 25)

const resumeArb: fc.Arbitrary<ResumeConfig> = fc.record({
  client: fc.oneof(
    fc.constant(true as const),
    fc.record({ maxBytes: fc.constantFrom(1, 30, 100, 400) }),
  ),
  serverMax: fc.constantFrom(1, 40, 150, 1_048_576),
  window: fc.constantFrom(300, 1000, 5000),
})

test(
  'resumable sessions deliver exactly once and in order, across restarts, expiry and re-entrant calls',
  async () => {
    console.log(banner('resumable model', settings))
    await fc.assert(
      fc.asyncProperty(
        configArb,
        resumeArb,
        stepsArb(MAX_STEPS, RESUME_HOOKS, resumeSteps),
        async (cfg, resume, steps) => {
          const labels = steps.map(stepLabel)
          fc.pre(!avoided(labels))
          await runSocketModel(cfg, steps, {
            options: JSON.stringify(resume),
            make: (host) => new ResumeWorld({ ...resume, binary: !cfg.codec }, host),
          })
        },
      ),
      assertParams(settings, time.interrupt),
    )
  },
  time.timeout,
)
