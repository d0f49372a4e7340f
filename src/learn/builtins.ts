import { gbdtLearner } from './gbdt/gbdt-learner.js';
import { registerLearner } from './learner.js';

/** The learners Orchard ships; importing this module registers them. */
registerLearner(gbdtLearner);
