import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's collector, for tests that check what stays reachable. The flag is set at run time
 * (https://nodejs.org/api/v8.html#v8setflagsfromstringflags); it defines `gc` only in contexts
 * made after it is set (Node 20, tried), hence a new one.
 */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
