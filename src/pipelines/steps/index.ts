/**
 * Orchard's ready-made steps, composable in user pipelines: `import { steps } from 'orchard'`.
 * The standard steps of the seed's stages (profile, validate, split, train, evaluate,
 * gate, register, promote) join these as the model registry lands (issue 5).
 */
export { datasetFile, ingest } from './dataset-steps.js';
