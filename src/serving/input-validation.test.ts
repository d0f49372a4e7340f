import { describe, expect, it } from 'vitest';
import { validateInputs } from './input-validation.js';
import { readMlflowRequest, readOrchardRequest, readV2Request } from './request-formats.js';

const signature = [
  { name: 'distance', kind: 'numeric' },
  { name: 'hour', kind: 'integer' },
  { name: 'origin', kind: 'categorical' },
  { name: 'date', kind: 'datetime' },
  { name: 'weekend', kind: 'boolean' },
] as const;
const good = { distance: 500.5, hour: 8, origin: 'SFO', date: '2001-01-31T08:00:00Z', weekend: false };

describe('validating prediction rows against a signature', () => {
  it('normalises good rows: only the signature columns, categories as text, datetimes as epoch ms', () => {
    const [row] = validateInputs(signature, [{ ...good, origin: 12 }]);
    expect(row).toEqual({ distance: 500.5, hour: 8, origin: '12', date: Date.UTC(2001, 0, 31, 8), weekend: false });
    expect(validateInputs(signature, [{ ...good, distance: null, origin: 'never-seen' }])[0]).toMatchObject({ distance: null, origin: 'never-seen' });
  });

  it('lists every issue by row and column', () => {
    const rows = [
      { ...good, distance: 'NaN', hour: 8.5 },
      { distance: 'Infinity', hour: 1, origin: {}, date: 'yesterday', weekend: 'no', extra: 1 },
      { hour: 1 },
    ];
    let error: { message: string; details: { issues: { code: string; path: unknown[] }[]; total: number } } | undefined;
    try {
      validateInputs(signature, rows);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error!.details.issues.map((i) => `${i.path.join('.')}:${i.code}`)).toEqual([
      '0.distance:not_finite',
      '0.hour:not_integer',
      '1.distance:not_finite',
      '1.origin:invalid_type',
      '1.date:invalid_datetime',
      '1.weekend:invalid_type',
      '1.extra:unexpected_column',
      '2.distance:missing_column',
      '2.origin:missing_column',
      '2.date:missing_column',
      '2.weekend:missing_column',
    ]);
    expect(error!.message).toMatch(/^Invalid prediction request \(11 problems\): row 0, column distance: "NaN" is refused: numbers must be finite/);
  });

  it('caps the list and says how many more', () => {
    const rows = Array.from({ length: 500 }, () => ({ ...good, distance: 'x' }));
    expect(() => validateInputs(signature, rows)).toThrow(/\(500 problems\).*; and 480 more\.$/);
  });
});

describe('request formats', () => {
  const columns = ['a', 'b'];
  const expected = [{ a: 1, b: 'x' }, { a: 2, b: 'y' }];
  it('reads Orchard rows and columns', () => {
    expect(readOrchardRequest({ rows: expected })).toEqual(expected);
    expect(readOrchardRequest({ columns: { a: [1, 2], b: ['x', 'y'] } })).toEqual(expected);
    expect(() => readOrchardRequest({ columns: { a: [1, 2], b: ['x'] } })).toThrow(/different lengths \(a: 2, b: 1\)/);
    expect(() => readOrchardRequest([1])).toThrow(/the body is a list; send a JSON object/);
  });

  it("reads MLflow's four formats", () => {
    expect(readMlflowRequest({ dataframe_split: { columns, data: [[1, 'x'], [2, 'y']] } }, columns)).toEqual(expected);
    expect(readMlflowRequest({ dataframe_records: expected }, columns)).toEqual(expected);
    expect(readMlflowRequest({ instances: expected }, columns)).toEqual(expected);
    expect(readMlflowRequest({ instances: [[1, 'x'], [2, 'y']] }, columns)).toEqual(expected);
    expect(readMlflowRequest({ inputs: { a: [1, 2], b: ['x', 'y'] } }, columns)).toEqual(expected);
    expect(() => readMlflowRequest({ rows: [] }, columns)).toThrow(/needs exactly one of dataframe_split, dataframe_records, instances or inputs/);
  });

  it('reads Open Inference Protocol v2 tensors, one per column or one [N, F]', () => {
    const perColumn = { inputs: [{ name: 'a', shape: [2], datatype: 'FP64', data: [1, 2] }, { name: 'b', shape: [2, 1], datatype: 'BYTES', data: ['x', 'y'] }] };
    expect(readV2Request(perColumn, columns)).toEqual(expected);
    expect(readV2Request({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'BYTES', data: [1, 'x', 2, 'y'] }] }, columns)).toEqual(expected);
    expect(() => readV2Request({ inputs: [{ name: 'a', shape: [3], datatype: 'FP64', data: [1] }] }, columns)).toThrow(/has 1 values for shape \[3\] \(3 expected\)/);
  });
});
