import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Simulator, DEFAULT_KUBERNETES_VERSION } from '../simulator/simulator.js';
import { componentLogger } from '../telemetry/logger.js';

/**
 * `fkas simulate`: one fake cluster with Ready nodes and a kubeconfig, to try
 * the engine alone (`kubectl --kubeconfig <file> get nodes`).
 */

const USAGE = `usage: fkas simulate [--name NAME] [--port PORT] [--host HOST] [--nodes N]
                     [--kubernetes-version vX.Y.Z] [--kubeconfig PATH]`;
const DEFAULT_KUBECONFIG = './fkas-simulate.kubeconfig';
const DEFAULT_NODES = 1;

export async function simulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string', default: 'fake-cluster' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      nodes: { type: 'string', default: String(DEFAULT_NODES) },
      'kubernetes-version': { type: 'string', default: DEFAULT_KUBERNETES_VERSION },
      kubeconfig: { type: 'string', default: DEFAULT_KUBECONFIG },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  const nodes = Number(values.nodes);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port number (0-65535)\n${USAGE}`);
  if (!Number.isInteger(nodes) || nodes < 0) throw new Error(`--nodes ${values.nodes} is not a non-negative integer\n${USAGE}`);
  const log = componentLogger('simulate');
  const sim = new Simulator({ bindHost: values.host });
  const cluster = await sim.createCluster({ name: values.name, port, kubernetesVersion: values['kubernetes-version'] });
  for (let i = 0; i < nodes; i++) cluster.addNode({ name: `${values.name}-node-${i}`, providerID: `fake://${values.name}/node-${i}` });
  await writeFile(values.kubeconfig, await sim.adminKubeconfig(values.name), { mode: 0o600 });
  log.info({ endpoint: cluster.endpoint.url, kubeconfig: values.kubeconfig, nodes }, `fake cluster ready: kubectl --kubeconfig ${values.kubeconfig} get nodes`);
  const stop = (): void => {
    log.info('shutting down');
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
