import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to .orchard/ in the working directory with SQLite and local files', () => {
    const c = loadConfig({}, '/work/x');
    expect(c).toMatchObject({ home: '/work/x/.orchard', db: 'sqlite:/work/x/.orchard/orchard.db', artifacts: 'file:/work/x/.orchard/artifacts', url: undefined });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 5000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads ORCHARD_HOME, ORCHARD_DB and ORCHARD_ARTIFACTS, resolving relative paths and keeping options', () => {
    const c = loadConfig({ ORCHARD_HOME: 'h', ORCHARD_DB: 'sqlite:data/o.db?busy_timeout=100', ORCHARD_ARTIFACTS: 'file:blobs' }, '/srv');
    expect(c).toMatchObject({ home: '/srv/h', db: 'sqlite:/srv/data/o.db?busy_timeout=100', artifacts: 'file:/srv/blobs' });
    expect(loadConfig({ ORCHARD_DB: 'postgres://u@db:5432/orchard' }, '/').db).toBe('postgres://u@db:5432/orchard');
  });

  it('lets the environment win over the config file, and overrides win over both', () => {
    const home = mkdtempSync(join(tmpdir(), 'orchard-config-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ db: 'sqlite:/from/file.db', server: { port: 7000 } }));
    expect(loadConfig({ ORCHARD_HOME: home }, '/').db).toBe('sqlite:/from/file.db');
    expect(loadConfig({ ORCHARD_HOME: home }, '/').server.port).toBe(7000);
    expect(loadConfig({ ORCHARD_HOME: home, ORCHARD_DB: 'sqlite:/env.db' }, '/').db).toBe('sqlite:/env.db');
    expect(loadConfig({ ORCHARD_HOME: home, ORCHARD_PORT: '7100' }, '/', { server: { port: 7200 } }).server.port).toBe(7200);
  });

  it.each([
    [{ ORCHARD_DB: 'mysql://x' }, /ORCHARD_DB is 'mysql:\/\/x'; expected sqlite:<path> or postgres:/],
    [{ ORCHARD_ARTIFACTS: 'ftp://x' }, /ORCHARD_ARTIFACTS is 'ftp:\/\/x'; expected file:<folder>/],
    [{ ORCHARD_PORT: '70000' }, /ORCHARD_PORT is '70000'; expected a port number/],
    [{ ORCHARD_URL: 'localhost:5000' }, /ORCHARD_URL is 'localhost:5000'; expected an http/],
    [{ ORCHARD_BODY_LIMIT: '-3' }, /ORCHARD_BODY_LIMIT/],
  ])('rejects %o naming the variable, the value and the fix', (env, message) => {
    expect(() => loadConfig(env, '/')).toThrow(message);
  });

  it('rejects a config file that is not JSON or has unknown keys', () => {
    const home = mkdtempSync(join(tmpdir(), 'orchard-config-'));
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.json'), '{ not json');
    expect(() => loadConfig({ ORCHARD_HOME: home }, '/')).toThrow(/config.json is not valid JSON/);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ database: 'x' }));
    expect(() => loadConfig({ ORCHARD_HOME: home }, '/')).toThrow(/unknown keys database; known keys: db, artifacts/);
  });
  it('reads learner plugins from ORCHARD_PLUGINS (relative to the working directory) or the config file (relative to it)', () => {
    expect(loadConfig({}, '/w').plugins).toEqual([]);
    expect(loadConfig({ ORCHARD_PLUGINS: 'a.ts, /abs/b.js' }, '/w').plugins).toEqual(['/w/a.ts', '/abs/b.js']);
    const home = mkdtempSync(join(tmpdir(), 'orchard-config-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ plugins: ['learners/mlp.ts'] }));
    expect(loadConfig({ ORCHARD_HOME: home }, '/').plugins).toEqual([join(home, 'learners/mlp.ts')]);
    expect(loadConfig({ ORCHARD_HOME: home, ORCHARD_PLUGINS: 'x.ts' }, '/w').plugins).toEqual(['/w/x.ts']);
    expect(Object.isFrozen(loadConfig({ ORCHARD_HOME: home }, '/').plugins)).toBe(true);
  });

  it('rejects malformed plugin lists, naming where they come from', () => {
    expect(() => loadConfig({ ORCHARD_PLUGINS: 'a.ts,,b.ts' }, '/')).toThrow(/ORCHARD_PLUGINS is 'a.ts,,b.ts'; expected comma-separated module paths/);
    const home = mkdtempSync(join(tmpdir(), 'orchard-config-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ plugins: 'mlp.ts' }));
    expect(() => loadConfig({ ORCHARD_HOME: home }, '/')).toThrow(/"plugins" in .*config.json is "mlp.ts"; expected a list of module paths/);
  });
});
