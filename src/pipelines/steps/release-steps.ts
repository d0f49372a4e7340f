import { invalidArgument, OrchardError } from '../../core/errors.js';
import { parseModelRef, resolveModelRef } from '../../serving/model-ref.js';
import { step } from '../step.js';
import { types, type JsonValue } from '../types.js';
import { setEndpointModel } from './endpoint-handoff.js';

/**
 * The seed's release stages as steps: register a model version, promote it to an alias
 * (respecting approvals), and hand it to serving (deploy).
 */

function tagsOf(value: JsonValue): { key: string; value: string }[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalidArgument(`The register step's tags param must map names to strings, such as { team: 'ops' }, got ${JSON.stringify(value)}.`);
  }
  return Object.entries(value as Record<string, string>).map(([key, v]) => ({ key, value: v }));
}

/**
 * Registers the model of a training or tuning run as a new version of `name` (creating the
 * model). The version records the pipeline version (`name@N`) when the run is of a pushed
 * version, and the pipeline run as tag `orchard.pipeline_run`. A run already registered under
 * `name` gives its existing version, so `--no-cache` reruns do not pile up copies.
 * @example p.step(steps.register, { inputs: { model: t.outputs.runId }, params: { name: 'flights' }, when: g.outputs.passed.truthy() })
 */
export const register = step({
  name: 'register',
  description: "Register a run's model as a version in the model registry",
  inputs: { model: types.string },
  outputs: { ref: types.string, name: types.string, version: types.number },
  params: { name: '', description: '', tags: {} as JsonValue },
  run: async ({ inputs, params, actor, log, orchard, pipelineRunId }) => {
    if (params.name === '') throw new OrchardError('INVALID_ARGUMENT', "The register step needs the registered model's name: params: { name: 'flights' }.");
    const tags = tagsOf(params.tags);
    const platform = await orchard();
    const existing = (await platform.registry.searchVersions({ filter: `name = '${params.name.replaceAll("'", "''")}' and run_id = '${inputs.model}'` })).items.find((v) => v.status === 'READY');
    let version = existing;
    if (version === undefined) {
      const run = await platform.store.pipelines.getRun(pipelineRunId);
      version = await platform.registry.register(actor, {
        name: params.name,
        runId: inputs.model,
        description: params.description === '' ? undefined : params.description,
        tags: [...tags, { key: 'orchard.pipeline_run', value: pipelineRunId }],
        pipelineVersionId: run?.version != null ? `${run.pipeline}@${run.version}` : undefined,
      });
    }
    const ref = `${version.name}@${version.version}`;
    console.log(existing ? `run ${inputs.model} is already ${ref}` : `registered ${ref}`);
    log.tag('orchard.model_version', ref);
    return { ref, name: version.name, version: version.version };
  },
});

/**
 * Points an alias (default `champion`) at a registered version (`flights@3`). When the model
 * requires approval for that alias and the version is not approved, the step does not fail:
 * it requests approval (`onApproval: 'request'`, the default; `'fail'` fails instead) and
 * outputs `status: 'waiting_for_approval'`. Once an approver approves, finish with
 * `orchard models promote <name> <version> --alias <alias>`; a rerun of the pipeline reuses
 * this step's cached result. A rejected or archived version fails the step.
 * @example p.step(steps.promote, { inputs: { model: r.outputs.ref }, params: { alias: 'champion' } })
 */
export const promote = step({
  name: 'promote',
  description: 'Point an alias at a model version, or request approval when it needs one',
  inputs: { model: types.string },
  outputs: { status: types.string, ref: types.string },
  params: { alias: 'champion', onApproval: 'request' },
  run: async ({ inputs, params, actor, log, orchard }) => {
    if (params.onApproval !== 'request' && params.onApproval !== 'fail') throw invalidArgument(`onApproval must be 'request' or 'fail', got '${params.onApproval}'.`);
    const ref = parseModelRef(inputs.model);
    if (ref.kind !== 'version') throw invalidArgument(`The promote step takes a model version such as flights@3 (the register step's ref output), got '${inputs.model}'.`);
    const platform = await orchard();
    const model = await platform.registry.getModel(ref.name);
    const version = await platform.registry.getVersion(ref.name, ref.version);
    const aliasRef = `${ref.name}@${params.alias}`;
    const needsApproval = model.requiresApproval && model.protectedAliases.includes(params.alias) && version.approval !== 'approved';
    if (needsApproval && version.approval !== 'rejected' && version.status === 'READY' && params.onApproval === 'request') {
      if (version.approval === 'none') await platform.registry.requestApproval(actor, ref.name, ref.version, `requested by pipeline to become ${aliasRef}`);
      console.log(`${inputs.model} is waiting for approval before it becomes ${aliasRef}; approve with \`orchard models approve ${ref.name} ${ref.version}\`, then \`orchard models promote ${ref.name} ${ref.version} --alias ${params.alias}\`.`);
      log.tag('orchard.promotion', 'waiting_for_approval');
      return { status: 'waiting_for_approval', ref: aliasRef };
    }
    // Refused with CONFLICT and the fix for archived, rejected or (onApproval: 'fail') unapproved versions.
    await platform.registry.setAlias(actor, ref.name, params.alias, ref.version);
    console.log(`${aliasRef} is now ${inputs.model}`);
    log.tag('orchard.promotion', 'promoted');
    return { status: 'promoted', ref: aliasRef };
  },
});

/**
 * Hands a model to serving: records that endpoint `endpoint` should serve `model` (a model
 * reference; `flights@champion` follows the alias) in the endpoint's spec, creating the
 * endpoint when needed. Serving reads the spec; this step starts no server.
 * @example p.step(steps.deploy, { inputs: { model: 'flights@champion' }, params: { endpoint: 'flights' }, after: [promoted] })
 */
export const deploy = step({
  name: 'deploy',
  description: 'Record the model an endpoint should serve',
  inputs: { model: types.string },
  outputs: { endpoint: types.string, model: types.string, changed: types.boolean },
  params: { endpoint: '' },
  run: async ({ inputs, params, actor, log, orchard }) => {
    if (params.endpoint === '') throw new OrchardError('INVALID_ARGUMENT', "The deploy step needs the endpoint's name: params: { endpoint: 'flights' }.");
    const platform = await orchard();
    // The model must resolve now (verified artifact), so a bad reference fails here and not in serving.
    const resolved = await resolveModelRef({ registry: platform.registry, tracking: platform.tracking, content: platform.content }, inputs.model);
    const r = await setEndpointModel(platform.store, platform.clock, actor, params.endpoint, inputs.model);
    console.log(`endpoint ${params.endpoint} ${r.created ? 'created' : r.changed ? 'updated' : 'unchanged'}: serves ${inputs.model} (${resolved.digest})`);
    log.tag('orchard.endpoint', params.endpoint);
    return { endpoint: params.endpoint, model: inputs.model, changed: r.changed };
  },
});
