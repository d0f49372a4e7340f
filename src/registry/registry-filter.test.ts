import { describe, expect, it } from 'vitest';
import { parseRegistryFilter, parseRegistryOrderBy } from './registry-filter.js';

describe('registry search filters (MLflow subset)', () => {
  it('parses the model and version filters MLflow clients send', () => {
    expect(parseRegistryFilter("name LIKE '%flights%'", 'models')).toEqual([{ field: 'name', comparator: 'LIKE', value: '%flights%' }]);
    expect(parseRegistryFilter("name='flights'", 'versions')).toEqual([{ field: 'name', comparator: '=', value: 'flights' }]);
    expect(parseRegistryFilter("run_id IN ('a', 'b') and version_number >= 3", 'versions')).toEqual([
      { field: 'run_id', comparator: 'IN', value: ['a', 'b'] },
      { field: 'version_number', comparator: '>=', value: 3 },
    ]);
    expect(parseRegistryFilter("tags.`data set` = 'x' AND attributes.name ILIKE 'F%'", 'models')).toEqual([
      { field: 'tag', key: 'data set', comparator: '=', value: 'x' },
      { field: 'name', comparator: 'ILIKE', value: 'F%' },
    ]);
    expect(parseRegistryFilter("source_path LIKE 'runs:/%'", 'versions')).toEqual([{ field: 'source_path', comparator: 'LIKE', value: 'runs:/%' }]);
    expect(parseRegistryFilter('  ', 'models')).toEqual([]);
  });

  it('names the position, the problem and an example', () => {
    expect(() => parseRegistryFilter("run_id = 'x'", 'models')).toThrow(/position 1 of `run_id = 'x'`: unknown field `run_id`; registered models are searched by name and tags.<key>. Example of a valid filter: name LIKE 'flights%'/);
    expect(() => parseRegistryFilter("name = 'a' or name = 'b'", 'models')).toThrow(/position 12 .*OR is not supported/);
    expect(() => parseRegistryFilter('version_number > three', 'versions')).toThrow(/version_number is compared with a whole number/);
    expect(() => parseRegistryFilter('name = flights', 'versions')).toThrow(/needs a quoted string/);
    expect(() => parseRegistryFilter("name > 'a'", 'models')).toThrow(/`name` takes =, !=, LIKE, ILIKE, IN, NOT IN, not >/);
    expect(() => parseRegistryFilter("name = 'a' and", 'models')).toThrow(/ends with AND/);
    expect(() => parseRegistryFilter("name = 'a", 'models')).toThrow(/the quote ' is never closed.*Example of a valid filter: name LIKE 'flights%'/);
    expect(() => parseRegistryFilter("name = 'a'", 'models')).not.toThrow();
  });

  it('parses order_by with MLflow field names', () => {
    expect(parseRegistryOrderBy(['name', 'last_updated_timestamp DESC'], 'models')).toEqual([
      { field: 'name', ascending: true },
      { field: 'last_updated_timestamp', ascending: false },
    ]);
    expect(parseRegistryOrderBy(['version_number desc'], 'versions')).toEqual([{ field: 'version_number', ascending: false }]);
    expect(() => parseRegistryOrderBy(['version_number'], 'models')).toThrow(/order_by takes one of name, creation_timestamp, last_updated_timestamp/);
  });
});
