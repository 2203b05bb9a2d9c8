// Preloaded with `node --import`: records every module URL the process resolves, one a line, in
// the file named by RECORD_LOADS_TO. The hooks run on Node's loader thread, so they append
// synchronously instead of messaging the main thread.
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_TO } });
