/** How messages arrived at the fake Open Platform, for the benchmarks: the rate over the span, and the most in any one second. */

/** The most of these times (ms, sorted) in any window of one second. */
function maxInWindow(ts: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * The rate of `messages` as received: over the span from the first to the last (the first and last second are
 * partial), the most in any second, and the most to one receiver (a chat, an expert) in any second.
 */
export function sendRate(messages: readonly { at: number; receiveId: string }[]) {
  const times = messages.map((m) => m.at).sort((a, b) => a - b);
  const byReceiver = new Map<string, number[]>();
  for (const m of messages) byReceiver.set(m.receiveId, [...(byReceiver.get(m.receiveId) ?? []), m.at]);
  const seconds = (times[times.length - 1] - times[0]) / 1000;
  return {
    count: messages.length,
    seconds: Math.round(seconds * 10) / 10,
    achievedPerS: Math.round(((messages.length - 1) / seconds) * 10) / 10,
    maxInAnySecond: maxInWindow(times),
    maxPerReceiverInAnySecond: Math.max(...[...byReceiver.values()].map((ts) => maxInWindow(ts.sort((a, b) => a - b)))),
  };
}
