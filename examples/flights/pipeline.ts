/**
 * The flagship pipeline: predict whether a US flight is delayed by more than 15 minutes,
 * from flights-3m (3 million flights, January–June 2001, shipped in the vega-datasets
 * package), through every stage of the seed:
 *
 *   extract → profile → validate → time split → train → evaluate → gate → register → promote
 *
 *   npx orchard run examples/flights/pipeline.ts                      # registers flights@champion
 *   npx orchard run examples/flights/pipeline.ts                      # again: every step cached
 *   npx orchard run examples/flights/pipeline.ts --param sample=0     # every flight, not a sample
 *   npx orchard run examples/flights/pipeline.ts --param until=2001-07-01 --param cuts=2001-06-01
 *   npx orchard models show flights
 *
 * By default it draws a seeded sample of 200,000 flights from January–May (`sample`, 0 for
 * all), validates them against a schema inferred from a January sample (February–May bring
 * airports and delays January never saw: `maxAnomalies` allows for that drift), trains on
 * January–April and tests on May (`cuts`), and promotes the model when it passes the gate:
 * AUC at least `minAuc`, and better than the current champion on the same May flights.
 */
import { pipeline, steps } from 'orchard';

export default pipeline(
  'flights',
  {
    description: 'Predict flight delays over 15 minutes from flights-3m',
    params: {
      from: '2001-01-01',
      until: '2001-06-01',
      cuts: ['2001-05-01'],
      referenceUntil: '2001-02-01',
      sample: 200_000,
      seed: 0,
      maxAnomalies: 10,
      model: 'flights',
      min: { auc: 0.6 },
    },
  },
  (p) => {
    const data = p.step(steps.extract, {
      params: { dataset: 'flights', source: 'sample:flights-3m', column: 'date', from: p.params.from, until: p.params.until, sample: p.params.sample, seed: p.params.seed },
    });
    // The schema comes from January, the month the first model was built on.
    const reference = p.step(steps.extract, {
      name: 'extract-reference',
      params: { dataset: 'flights-reference', source: 'sample:flights-3m', column: 'date', from: p.params.from, until: p.params.referenceUntil, sample: p.params.sample, seed: p.params.seed },
    });
    p.step(steps.profile, { inputs: { version: data.outputs.version } });
    const valid = p.step(steps.validate, { inputs: { version: data.outputs.version, reference: reference.outputs.version }, params: { maxAnomalies: p.params.maxAnomalies } });
    const parts = p.step(steps.split, { inputs: { version: data.outputs.version }, params: { kind: 'time', by: 'date', cuts: p.params.cuts, names: ['train', 'test'] }, after: [valid] });
    const model = p.step(steps.train, {
      inputs: { train: parts.outputs.train, test: parts.outputs.test },
      params: { target: 'delayed=delay > 15', learner: 'gbdt' },
    });
    p.step(steps.evaluate, { inputs: { model: model.outputs.runId, data: parts.outputs.test }, params: { sliceBy: 'origin' } });
    const gate = p.step(steps.gate, {
      inputs: { model: model.outputs.runId, data: parts.outputs.test },
      params: { registeredModel: p.params.model, min: p.params.min, onFail: 'skip' },
    });
    const version = p.step(steps.register, { inputs: { model: model.outputs.runId }, params: { name: p.params.model }, when: gate.outputs.passed.truthy() });
    p.step(steps.promote, { inputs: { model: version.outputs.ref }, params: { alias: 'champion' } });
  },
);
