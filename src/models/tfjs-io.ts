/**
 * The TF.js IO handler of the model code: saves a TF.js model to a local folder and loads it back
 * (`model.json` + `weights.bin`), with no TF.js backend for files. `logModel`, `loadModel` and TF.js
 * autologging save and load models through it.
 *
 * @example
 * ```ts
 * await model.save(fileSystemHandler('./out/model'));
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { MlflowError } from '../errors.js';

/**
 * A TF.js IO handler that saves a model to a local folder and loads it back, in the layout of
 * `tfjs-node`'s `file://` handler: `model.json` (topology, training config, weights manifest)
 * and `weights.bin`. Needs no TF.js backend for files.
 *
 * @example
 * ```ts
 * await model.save(fileSystemHandler('./out/model'));
 * const again = await tf.loadLayersModel(fileSystemHandler('./out/model'));
 * ```
 */
export function fileSystemHandler(dir: string): tfjs.io.IOHandler {
  return {
    async save(artifacts: tfjs.io.ModelArtifacts): Promise<tfjs.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'Saving a binary (GraphDef) model topology is not supported');
      }
      fs.mkdirSync(dir, { recursive: true });
      const parts = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const weights = Buffer.concat(parts.map((b) => Buffer.from(b)));
      const modelJson: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig != null) modelJson['trainingConfig'] = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJson['signature'] = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJson['userDefinedMetadata'] = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer != null) modelJson['modelInitializer'] = artifacts.modelInitializer;
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: artifacts.modelTopology == null ? 0 : Buffer.byteLength(JSON.stringify(artifacts.modelTopology)),
          weightSpecsBytes: artifacts.weightSpecs == null ? 0 : Buffer.byteLength(JSON.stringify(artifacts.weightSpecs)),
          weightDataBytes: weights.length,
        },
      };
    },
    async load(): Promise<tfjs.io.ModelArtifacts> {
      const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tfjs.io.ModelJSON;
      const specs: tfjs.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, ...p.split('/'))));
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      const artifacts: tfjs.io.ModelArtifacts = {
        modelTopology: modelJson.modelTopology,
        weightSpecs: specs,
        weightData,
      };
      if (modelJson.format !== undefined) artifacts.format = modelJson.format;
      if (modelJson.generatedBy !== undefined) artifacts.generatedBy = modelJson.generatedBy;
      if (modelJson.convertedBy !== undefined && modelJson.convertedBy !== null) artifacts.convertedBy = modelJson.convertedBy;
      if (modelJson.trainingConfig !== undefined) artifacts.trainingConfig = modelJson.trainingConfig;
      if (modelJson.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = modelJson.userDefinedMetadata;
      if (modelJson.signature !== undefined) artifacts.signature = modelJson.signature;
      if (modelJson.modelInitializer !== undefined) artifacts.modelInitializer = modelJson.modelInitializer;
      return artifacts;
    },
  };
}
