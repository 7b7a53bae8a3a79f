import { BotRegistry } from '../src/handlers.js';
import { register as registerHelp } from './help/index.js';

/** Every feature registers its commands, card actions and menu entries here. */
export function createBot(): BotRegistry {
  const bot = new BotRegistry();
  registerHelp(bot);
  return bot;
}
