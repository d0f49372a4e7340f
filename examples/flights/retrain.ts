/**
 * Retraining on fresh data, the pipeline a drift alert runs (MLOps level 2): train a
 * challenger on the newest version of the labelled data, gate it against the champion on
 * its latest days (held out), and promote it when it wins — the endpoint that follows
 * `flights@champion` then hot-swaps to it. `orchard quickstart` pushes this pipeline and wires
 * it to its alert rules; by hand:
 *
 *   npx orchard pipeline push examples/flights/retrain.ts
 *   npx orchard triggers create retrain-on-drift --on alert --rule flights-data-drift --pipeline flights-retrain
 *   npx orchard run examples/flights/retrain.ts --param data=flights-recent@2   # or once, directly
 *
 * `data` names the dataset (its newest version is pinned at the start of each run, so the
 * steps after it are cached per version); `gbdt` holds the learner's params; the gate needs
 * the `min` metrics (an AUC of at least 0.55) and a better `compareOn` metric than the
 * champion's on the same held-out rows — log loss, which sees both ranking and calibration
 * (a delay rate that moved is what decays this model most).
 */
import { pipeline, steps } from 'orchard';

export default pipeline(
  'flights-retrain',
  {
    description: 'Retrain the flight-delay model on the newest labelled flights and promote it if it beats the champion',
    experiment: 'quickstart',
    params: { data: 'flights-recent', model: 'flights', seed: 11, gbdt: { max_iter: 60 }, min: { auc: 0.55 }, compareOn: 'log_loss', rounds: 50 },
  },
  (p) => {
    const data = p.step(steps.pin, { params: { dataset: p.params.data } });
    const parts = p.step(steps.split, {
      inputs: { version: data.outputs.version },
      // The latest fifth of the fresh flights is held out: the gate judges both models on days neither trained on.
      params: { kind: 'ordered', by: 'date', fractions: { train: 0.8, test: 0.2 }, seed: p.params.seed },
    });
    const model = p.step(steps.train, {
      inputs: { train: parts.outputs.train, test: parts.outputs.test },
      params: { target: 'delayed=delay > 15', learner: 'gbdt', params: p.params.gbdt },
    });
    const gate = p.step(steps.gate, {
      inputs: { model: model.outputs.runId, data: parts.outputs.test },
      params: { registeredModel: p.params.model, min: p.params.min, compareOn: p.params.compareOn, rounds: p.params.rounds, onFail: 'skip' },
    });
    const version = p.step(steps.register, { inputs: { model: model.outputs.runId }, params: { name: p.params.model, description: 'retrained on fresh data' }, when: gate.outputs.passed.truthy() });
    p.step(steps.promote, { inputs: { model: version.outputs.ref }, params: { alias: 'champion' } });
  },
);
