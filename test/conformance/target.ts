/**
 * What a backend hands the conformance suites: a client on a fresh, empty store of that backend.
 *
 * The suites (`tracking.ts`, `registry.ts`) are written once against the public API
 * (`MlflowClient`, `TrackingStore`, `RegistryStore`, `ArtifactRepository`) and run per backend:
 * `file.test.ts` for the file store; the SQLite and REST backends call the same functions.
 */
import { expect } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import type { MlflowClient } from '../../src/tracking/client.js';

export interface ConformanceTarget {
  /** The tracking URI the client was opened with. */
  uri: string;
  /** A client on a store no other suite writes to (it may hold MLflow's Default experiment). */
  client: MlflowClient;
  /** Closes the client and removes what setup made (folders, databases, servers). */
  cleanup: () => Promise<void>;
  /**
   * What the backend gives back for +Infinity: MLflow's SQL store (behind a tracking server)
   * stores ±Infinity as ±1.7976931348623157e308, and Python reads that back too. Default Infinity.
   */
  infinityAs?: number;
}

let counter = 0;

/** A name no other test of this process uses (the suites share one store per backend). */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Awaits `p` and checks it fails with an `MlflowError` of `code` (and a message matching
 * `message`). A list of codes is for the few places where MLflow's own backends disagree (the
 * file store wraps some errors in INTERNAL_ERROR where the SQL store keeps the cause's code).
 */
export async function expectMlflowError(
  p: Promise<unknown>,
  code: ErrorCode | readonly ErrorCode[],
  message?: RegExp,
): Promise<MlflowError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected an MlflowError ${code}`).toBeInstanceOf(MlflowError);
  const err = caught as MlflowError;
  const codes: readonly ErrorCode[] = typeof code === 'string' ? [code] : code;
  expect(codes, `error ${err.code}: ${err.message}`).toContain(err.code);
  if (message) expect(err.message).toMatch(message);
  return err;
}
