import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Sdk from '@larksuiteoapi/node-sdk';

/**
 * The Feishu SDK, required rather than imported: Node scans a CommonJS module imported from ESM for its
 * export names, and on this 6 MB bundle that scan was about a second of every start (0.3 s required). The compiled
 * bot requires the compacted copy `npm run build` writes beside this file (scripts/build.mjs, `compactSdk`: 10 MB
 * less held at rest); tsx, for tests and scripts, the package itself.
 */
const require = createRequire(import.meta.url);
const compact = new URL('./node-sdk.cjs', import.meta.url);
const sdk = (existsSync(compact) ? require(fileURLToPath(compact)) : require('@larksuiteoapi/node-sdk')) as typeof Sdk;

export const { Client, EventDispatcher, WSClient, DefaultCache, Domain, AppType, LoggerLevel, defaultHttpInstance } = sdk;
export type Client = Sdk.Client;
export type EventDispatcher = Sdk.EventDispatcher;
export type WSClient = Sdk.WSClient;
export type DefaultCache = Sdk.DefaultCache;
export type Domain = Sdk.Domain;
export type AppType = Sdk.AppType;
export type LoggerLevel = Sdk.LoggerLevel;
export type { HttpInstance, HttpRequestOptions, Logger } from '@larksuiteoapi/node-sdk';
