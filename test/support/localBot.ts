import type { ChildProcess } from 'node:child_process';

/**
 * Waits for a local bot (a child process) to log its /dev console URL; rejects if it exits first or says nothing
 * within `timeoutMs`. Everything it prints is kept in the returned `output()` for error messages.
 */
export function consoleUrlOf(bot: ChildProcess, timeoutMs: number): { url: Promise<string>; output: () => string } {
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no console URL logged within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /local console: (http:\/\/[^\s"]+)\/dev/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    bot.stdout!.on('data', onData);
    bot.stderr!.on('data', onData);
    bot.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { url, output: () => output };
}
