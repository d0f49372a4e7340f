import { describe, expect, it } from 'vitest';
import { gbdtLearner } from '../gbdt/gbdt-learner.js';
import { objectiveFor, scoreOf } from './objective.js';
import { candidates, gridSize, parseSearchSpace } from './search-space.js';

const defaults = gbdtLearner.defaults;
const parse = (grid: string[], random: string[] = []) => parseSearchSpace('gbdt', defaults, grid, random);

describe('search spaces', () => {
  it('parses grid values to the parameters’ types and enumerates the grid, last parameter fastest', () => {
    const space = parse(['max_depth=4,6,8', 'learning_rate=0.05,0.1', 'early_stopping=auto,false']);
    expect(space.random).toBe(false);
    expect(gridSize(space)).toBe(12);
    const all = candidates(space, undefined, 0);
    expect(all).toHaveLength(12);
    // Parameter names in sorted order, as scikit-learn's ParameterGrid: early_stopping, learning_rate, max_depth.
    expect(all.slice(0, 4)).toEqual([
      { early_stopping: 'auto', learning_rate: 0.05, max_depth: 4 },
      { early_stopping: 'auto', learning_rate: 0.05, max_depth: 6 },
      { early_stopping: 'auto', learning_rate: 0.05, max_depth: 8 },
      { early_stopping: 'auto', learning_rate: 0.1, max_depth: 4 },
    ]);
    expect(all[11]).toEqual({ early_stopping: 'false', learning_rate: 0.1, max_depth: 8 });
  });

  it('draws random candidates within each distribution, the same ones for the same seed', () => {
    const space = parse([], ['learning_rate=loguniform:0.01:0.3', 'max_leaf_nodes=int:15:63', 'l2_regularization=uniform:0:1', 'colsample_bytree=choice:0.6,0.8,1']);
    expect(space.random).toBe(true);
    const drawn = candidates(space, 400, 7);
    expect(drawn).toHaveLength(400);
    expect(candidates(space, 400, 7)).toEqual(drawn);
    expect(candidates(space, 400, 8)).not.toEqual(drawn);
    const lr = drawn.map((c) => c.learning_rate as number);
    expect(Math.min(...lr)).toBeGreaterThanOrEqual(0.01);
    expect(Math.max(...lr)).toBeLessThanOrEqual(0.3);
    // Log-uniform: about half the draws fall below the geometric mean √(0.01 × 0.3) ≈ 0.0548.
    expect(lr.filter((v) => v < Math.sqrt(0.01 * 0.3)).length / lr.length).toBeGreaterThan(0.4);
    expect(lr.filter((v) => v < Math.sqrt(0.01 * 0.3)).length / lr.length).toBeLessThan(0.6);
    const leaves = drawn.map((c) => c.max_leaf_nodes as number);
    expect(leaves.every((v) => Number.isInteger(v) && v >= 15 && v <= 63)).toBe(true);
    // Both ends of an int range are reachable.
    expect(leaves).toContain(15);
    expect(leaves).toContain(63);
    expect(new Set(drawn.map((c) => c.colsample_bytree))).toEqual(new Set([0.6, 0.8, 1]));
    expect(drawn.every((c) => (c.l2_regularization as number) >= 0 && (c.l2_regularization as number) <= 1)).toBe(true);
  });

  it('samples a list-only space without replacement, at most its size (as ParameterSampler)', () => {
    const space = parse(['max_depth=4,6,8'], ['colsample_bytree=choice:0.6,1']);
    const some = candidates(space, 4, 1);
    expect(new Set(some.map((c) => JSON.stringify(c))).size).toBe(4);
    expect(candidates(space, 50, 1)).toHaveLength(6);
  });

  it('reports every bad parameter at once, each with the bad text and the accepted forms', () => {
    let message = '';
    try {
      parse(['depth=4,6', 'max_depth=four', 'learning_rate'], ['l2_regularization=normal:0:1', 'max_leaf_nodes=int:15.5:63', 'learning_rate=loguniform:0:0.3', 'early_stopping=uniform:0:1', 'max_depth=int:2:8']);
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('INVALID_ARGUMENT');
      expect((error as { details: { issues: unknown[] } }).details.issues).toHaveLength(8);
    }
    expect(message).toMatch(/grid\[0\]: learner gbdt has no parameter 'depth'; its parameters are loss, huber_alpha, learning_rate, max_iter/);
    expect(message).toMatch(/grid\[1\]: grid values 'four' for max_depth: Parameter max_depth of gbdt must be a number, got 'four'/);
    expect(message).toMatch(/grid\[2\]: 'learning_rate' is not name=values; e\.g\. --grid max_depth=4,6,8/);
    expect(message).toMatch(/random\[0\]: 'normal:0:1' for l2_regularization is not a distribution; accepted forms: uniform:LOW:HIGH, loguniform:LOW:HIGH \(LOW > 0\), int:LOW:HIGH/);
    expect(message).toMatch(/random\[1\]: 'int:15\.5:63' for max_leaf_nodes: int needs whole-number bounds/);
    expect(message).toMatch(/random\[2\]: 'loguniform:0:0\.3' for learning_rate: loguniform needs LOW > 0, got 0/);
    expect(message).toMatch(/random\[3\]: early_stopping takes string values, so it cannot follow uniform:…; use choice:A,B,…/);
    expect(message).toMatch(/random\[4\]: parameter 'max_depth' is searched twice/);
  });

  it('refuses an empty space and a random space without a number of trials', () => {
    expect(() => parse([])).toThrow(/search space for gbdt is empty; give --grid name=v1,v2 or --random/);
    expect(() => candidates(parse([], ['learning_rate=uniform:0.1:0.2']), undefined, 0)).toThrow(/needs the number of candidates to draw; give --trials N/);
    expect(() => candidates(parse(['max_depth=3,4']), 0, 0)).toThrow(/--trials must be a whole number ≥ 1, got 0/);
  });
});

describe('objectives', () => {
  it('knows which way each metric improves and refuses metrics of another task', () => {
    expect(objectiveFor('binary')).toEqual({ metric: 'auc', direction: 'maximize' });
    expect(objectiveFor('regression')).toEqual({ metric: 'rmse', direction: 'minimize' });
    expect(objectiveFor('binary', 'log_loss').direction).toBe('minimize');
    expect(objectiveFor('regression', 'r2').direction).toBe('maximize');
    expect(() => objectiveFor('regression', 'auc')).toThrow(/metric 'auc' does not apply to a regression target; choose one of rmse, mae, r2, mape/);
    expect(scoreOf({ metric: 'rmse', direction: 'minimize' }, { rmse: 2 })).toBe(-2);
    expect(scoreOf({ metric: 'auc', direction: 'maximize' }, { auc: Number.NaN })).toBeNaN();
  });
});
