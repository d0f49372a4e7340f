import { gbdtLearner } from './gbdt/gbdt-learner.js';
import { registerLearner } from './learner.js';
import { linearLearner, logisticLearner } from './linear/linear-learner.js';

/** The learners Orchard ships; importing this module registers them. */
registerLearner(gbdtLearner);
registerLearner(logisticLearner);
registerLearner(linearLearner);
