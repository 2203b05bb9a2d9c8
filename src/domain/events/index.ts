export * from './acl-words.js';
export * from './catalogue.js';
export * from './cli.js';
export * from './lookups.js';
export * from './route-words.js';
export * from './sg-words.js';
export * from './spec.js';
export * from './words.js';
