import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freeClusterPort, type RedisServer, startRedisServer } from './redis-server.js';

export interface RedisCluster {
  /** `host:port,host:port,host:port`, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  servers: RedisServer[];
  stop(): Promise<void>;
}

/**
 * A real three-master Redis Cluster on loopback: three `redis-server --cluster-enabled yes` nodes
 * joined with `redis-cli --cluster create`, so hash slots are really spread over three processes.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(
        await startRedisServer(await freeClusterPort(), [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${process.pid}-${Date.now()}-${i}.conf`,
          '--cluster-node-timeout',
          '2000',
          '--dir',
          '/tmp',
        ]),
      );
    }
    await promisify(execFile)('redis-cli', [
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // The cluster is usable once every node agrees all 16384 slots are covered.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const infos = await Promise.all(
        servers.map((s) => promisify(execFile)('redis-cli', ['-p', String(s.port), 'cluster', 'info'])),
      );
      if (infos.every((i) => i.stdout.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error('redis cluster did not become ok within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => `127.0.0.1:${s.port}`).join(','),
    servers,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
