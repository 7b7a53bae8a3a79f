import type { ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';

/**
 * A process the running test started, killed when the test ends if it is still running: a test that fails (or
 * times out) waiting for it to exit would otherwise leave it behind, a bot holding its port and folder after the run.
 */
export function reapedAfterTest<T extends ChildProcess>(child: T): T {
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** The child's exit code, also when it has exited already (an `exit` listener added then would wait forever). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
