/** What users import: `import { Orchard } from 'orchard'`. */
export { Orchard, type StartRunOptions } from './orchard-client.js';
export { ActiveRun, type ActiveRunOptions } from './active-run.js';
export { OrchardError, type ErrorCode } from '../core/errors.js';
export { loadConfig, type OrchardConfig } from '../core/config.js';
export { createOrchard, type Platform } from '../orchard.js';
export type { Experiment, Run, RunInfo, MetricPoint, KeyValue, Page, RunStatus, ArtifactFile, AuditEvent, Role, Token } from '../tracking/types.js';
export type { DataClient, ValidationReport } from './data-client.js';
export type { DatasetVersion, ColumnSchema, ColumnKind } from '../data/types.js';
export type { DatasetProfile, ColumnProfile } from '../data/profile.js';
export type { DataSchema, Anomaly } from '../data/schema.js';
export type { SplitSpec } from '../data/split.js';
export { nativePredictor, type Predictor, type PredictionKind } from '../learn/predictor.js';
export { loadOnnxPredictor, type OnnxPredictor, type OnnxPredictorOptions, type OnnxValueInfo } from '../learn/onnx/onnx-predictor.js';
export { exportOnnx, type OnnxModel } from '../learn/onnx/export-onnx.js';
export { registerLearner, learnerNames, type Learner, type Task, type TrainingData, type FitHooks, type LearnerOrigin } from '../learn/learner.js';
export { loadLearnerPlugin, loadLearnerPlugins, type LoadedPlugin } from '../learn/learner-plugins.js';
export type { ModelsClient, ModelSettings, RegisterOptions, SearchOptions } from './models-client.js';
export type { RegisteredModel, ModelVersion, ModelAlias, ModelCard, ApprovalRecord, ApprovalState, ModelVersionStatus } from '../registry/types.js';
