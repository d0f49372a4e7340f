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
export { pipeline, type Pipeline, type PipelineBuilder, type PipelineOptions, type NodeHandle, type Ref, type Condition } from '../pipelines/pipeline.js';
export { step, command, type StepDefinition, type StepContext, type StepLog, type StepPolicy } from '../pipelines/step.js';
export { types, type PortType, type JsonValue, type ParamValue } from '../pipelines/types.js';
export { lintPipeline } from '../pipelines/lint.js';
export * as steps from '../pipelines/steps/index.js';
