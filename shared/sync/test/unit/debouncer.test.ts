import { Debouncer } from '../../index.js';

describe('Debouncer', () => {
  it('runs one send for calls with the same key inside the window, all sharing its result', async () => {
    const debouncer = new Debouncer();
    let sends = 0;
    const send = async () => {
      sends += 1;
    };
    await Promise.all([debouncer.run('k', 10, send), debouncer.run('k', 10, send), debouncer.run('k', 10, send)]);
    expect(sends).toBe(1);
    expect(debouncer.size).toBe(0);
  });

  it('runs separate sends for different keys', async () => {
    const debouncer = new Debouncer();
    const sent: string[] = [];
    await Promise.all([debouncer.run('a', 5, async () => void sent.push('a')), debouncer.run('b', 5, async () => void sent.push('b'))]);
    expect(sent.sort()).toEqual(['a', 'b']);
  });

  it('passes a failed send to every caller of the window', async () => {
    const debouncer = new Debouncer();
    const send = () => Promise.reject(new Error('down'));
    const calls = [debouncer.run('k', 5, send), debouncer.run('k', 5, send)];
    for (const call of calls) await expect(call).rejects.toThrow('down');
  });

  it('sends everything waiting at once on flush', async () => {
    const debouncer = new Debouncer();
    let sends = 0;
    const pending = debouncer.run('k', 60_000, async () => {
      sends += 1;
    });
    await debouncer.flush();
    await pending;
    expect(sends).toBe(1);
    expect(debouncer.size).toBe(0);
  });
});
