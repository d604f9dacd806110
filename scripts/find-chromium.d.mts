// Types for find-chromium.mjs (plain ESM so the benchmarks and npm scripts run it without a build).

export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium'

export interface FoundChromium {
  path: string
  /** What `--version` printed, e.g. "Chromium 153.0.8010.0". */
  version: string
  source: ChromiumSource
  /** Variables to add to the browser's environment (libraries, fonts); often empty. */
  env: Record<string, string>
}

export type ProbeResult =
  { version: string; reason?: undefined } | { reason: string; version?: undefined }

/** The unpacked package: `env` is always applied, `fallbackEnv` too when the binary needs it to run. */
export interface Unpacked {
  path: string
  env: Record<string, string>
  fallbackEnv?: Record<string, string>
}

export interface FindOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>
  /** @default SYSTEM_CHROMIUMS */
  system?: readonly string[]
  /** @default unpackPackaged */
  packaged?: () => Promise<Unpacked | null>
  /** @default probeVersion */
  probe?: (path: string, extraEnv: Record<string, string>) => Promise<ProbeResult>
}

export declare const SYSTEM_CHROMIUMS: readonly string[]
export declare const PACKAGE: '@sparticuz/chromium'
export declare class ChromiumNotFoundError extends Error {}
export declare function findChromium(options?: FindOptions): Promise<FoundChromium>
export declare function chromiumOnce(): Promise<FoundChromium>
export declare function describeChromium(found: FoundChromium): string
export declare function probeVersion(
  path: string,
  extraEnv?: Record<string, string>,
): Promise<ProbeResult>
export declare function unpackPackaged(): Promise<Unpacked>
