import { parseWorkerMode, REQUESTS, selects, serving, unknownKeys, WorkerModeSyntaxError } from '../../index';

const WF = 'workflow:process';
const AT = 'async-task:process';

describe('WORKER_MODE → what a node serves (the ARCHITECTURE.md table)', () => {
  test.each([
    ['', { requests: true, workflow: true, asyncTask: true }],
    ['!', { requests: true, workflow: false, asyncTask: false }],
    ['*', { requests: false, workflow: true, asyncTask: true }],
    ['workflow:process,async-task:process', { requests: false, workflow: true, asyncTask: true }],
    ['workflow:process', { requests: false, workflow: true, asyncTask: false }],
    ['!,workflow:process', { requests: true, workflow: true, asyncTask: false }],
    ['-', { requests: false, workflow: false, asyncTask: false }],
    ['  ! , workflow:process  ', { requests: true, workflow: true, asyncTask: false }],
    ['!,*', { requests: true, workflow: true, asyncTask: true }],
  ])('WORKER_MODE="%s"', (value, expected) => {
    const mode = parseWorkerMode(value);
    expect({ requests: serving(mode, REQUESTS), workflow: serving(mode, WF), asyncTask: serving(mode, AT) }).toEqual(expected);
  });

  test('an unset WORKER_MODE is the all-in-one default', () => {
    expect(parseWorkerMode(undefined)).toEqual({ raw: '', requests: true, processors: 'all' });
  });

  test('every-node services load whatever the mode, requests services only with the requests role', () => {
    for (const value of ['', '!', '*', '-', WF]) {
      expect(selects(parseWorkerMode(value), { kind: 'every-node' })).toBe(true);
    }
    expect(selects(parseWorkerMode('-'), { kind: 'requests' })).toBe(false);
    expect(selects(parseWorkerMode(WF), { kind: 'processor', key: WF })).toBe(true);
    expect(selects(parseWorkerMode(WF), { kind: 'processor', key: AT })).toBe(false);
  });

  test('a plugin key is served when listed, by `*` and by the default', () => {
    expect(serving(parseWorkerMode('my-plugin:process'), 'my-plugin:process')).toBe(true);
    expect(serving(parseWorkerMode('*'), 'my-plugin:process')).toBe(true);
    expect(serving(parseWorkerMode('!'), 'my-plugin:process')).toBe(false);
  });
});

describe('WORKER_MODE values that are refused', () => {
  test.each([
    ['workflow:process,,async-task:process', /empty item at position 2/],
    ['!,', /empty item at position 2/],
    [',', /empty item at position 1/],
    ['workflow', /unknown item "workflow"/],
    ['Workflow:Process', /unknown item "Workflow:Process"/],
    ['!!', /unknown item "!!"/],
    ['-,!', /"-" .* cannot be combined/],
    ['workflow process', /unknown item "workflow process"/],
  ])('"%s" names the bad item', (value, message) => {
    expect(() => parseWorkerMode(value)).toThrow(WorkerModeSyntaxError);
    expect(() => parseWorkerMode(value)).toThrow(message);
  });

  test('keys no service declares are reported; `*` names none', () => {
    expect(unknownKeys(parseWorkerMode('!,workflow:process,nope:process'), [WF, AT])).toEqual(['nope:process']);
    expect(unknownKeys(parseWorkerMode('*'), [])).toEqual([]);
  });
});
