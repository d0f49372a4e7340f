/**
 * Orchard's ready-made steps, composable in user pipelines: `import { steps } from 'orchard'`.
 * The seed's stages: extract (or ingest a local file), profile, validate, split, transform,
 * train, tune, evaluate, gate, register, promote and deploy (docs/CONCEPTS.md, "Standard steps").
 */
export { datasetFile, ingest, pin } from './dataset-steps.js';
export { extract } from './extract-step.js';
export { profile, split, transform, validate } from './prepare-steps.js';
export { evaluate, train, tune } from './model-steps.js';
export { gate } from './gate-step.js';
export { deploy, promote, register } from './release-steps.js';
