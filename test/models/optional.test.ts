/**
 * Optional runtimes: a missing package is one clear error naming it; array helpers.
 */
import { describe, expect, it } from 'vitest';
import { flattenNested, importOptional, tensorParts, toNested } from '../../src/models/onnx.js';

describe('optional packages and tensors', () => {
  it('a missing optional package fails with INVALID_STATE naming the package to install', async () => {
    const err = await importOptional('mlruns-no-such-package-xyz', 'predicting with an ONNX model').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_STATE' });
    expect((err as Error).message).toBe(
      "Predicting with an ONNX model needs the optional package 'mlruns-no-such-package-xyz', which is not installed: run `npm install mlruns-no-such-package-xyz`",
    );
  });

  it('onnxruntime-node and @tensorflow/tfjs are found when installed', async () => {
    const ort = await importOptional<{ InferenceSession?: unknown; default?: { InferenceSession?: unknown } }>('onnxruntime-node', 'x');
    expect(ort.InferenceSession ?? ort.default?.InferenceSession).toBeDefined();
  });

  it('flattens and rebuilds nested arrays, refuses ragged ones', () => {
    expect(flattenNested([[1, 2], [3, 4], [5, 6]])).toEqual({ data: [1, 2, 3, 4, 5, 6], dims: [3, 2] });
    expect(toNested([1, 2, 3, 4, 5, 6], [3, 2])).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(toNested([7], [])).toBe(7);
    expect(() => flattenNested([[1, 2], [3]])).toThrow(/rectangular/);
    expect(() => flattenNested([[1, 2], 3])).toThrow(/rectangular/);
    expect(tensorParts(new Float32Array([1, 2]), 'x')).toEqual({ data: [1, 2], dims: [2] });
    expect(() => tensorParts({ data: [1, 2, 3], dims: [2, 2] }, 'x')).toThrow(/need 4 values, got 3/);
  });
});
