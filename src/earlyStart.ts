import { compilePgliteAhead } from '../db/pgliteCode.js';
import { loadDotEnv } from './config.js';

/**
 * main.ts's first import, so it runs before the rest of the bot's modules are evaluated: when the bot will open
 * PGlite (no DATABASE_URL in the environment or .env), its WebAssembly is compiled on other threads meanwhile.
 */
loadDotEnv();
if (!process.env.DATABASE_URL?.trim()) compilePgliteAhead();
