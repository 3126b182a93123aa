import { expect } from 'chai';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { within } from '../helpers/wait.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/** What the DaemonSet's probes and the Compose healthcheck run. */
const PROBE = ['node', '/opt/qemu-binfmt/dist/cli.js', 'status', '--check', 'all'];
const load = (name: string) => parse(readFileSync(join(ROOT, 'deploy', name), 'utf8'));

describe('fleet deployment (deploy/)', () => {
  it('the DaemonSet is valid against the Kubernetes schema', () => {
    const daemonSet = new DaemonSet(load('daemonset.yaml'));
    expect(() => daemonSet.validate()).to.not.throw();
  });

  it('the DaemonSet runs watch all --mount in a privileged container, probed by status --check all, and tolerates every taint', () => {
    const spec = load('daemonset.yaml').spec.template.spec;
    expect(spec.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    expect(spec.initContainers).to.equal(undefined);
    expect(spec.containers).to.have.length(1);
    const [watch] = spec.containers;
    expect(watch).to.deep.include({ args: ['watch', 'all', '--mount', '--json'], securityContext: { privileged: true } });
    expect(watch.readinessProbe.exec.command).to.deep.equal(PROBE);
    expect(watch.livenessProbe.exec.command).to.deep.equal(PROBE);
    expect(watch.resources.requests).to.have.keys('cpu', 'memory');
    expect(watch.resources.limits).to.have.keys('memory');
  });

  it('the Compose service runs the same command, privileged, with the same check as its healthcheck', () => {
    const service = load('compose.yaml').services['qemu-binfmt'];
    expect(service).to.deep.include({ image: 'qemu-binfmt:latest', command: ['watch', 'all', '--mount', '--json'], privileged: true });
    expect(service.healthcheck.test).to.deep.equal(['CMD', ...PROBE]);
  });

  it("the probes' command, run for real in a private instance: 1 before the watch has registered, 0 after", async function () {
    this.timeout(60_000);
    const instance = await PrivateInstance.start(this);
    // The image's paths, as this checkout has them.
    const [, , ...args] = PROBE;
    const probe = () => instance.cli(args);
    try {
      expect((await probe()).exitCode).to.equal(1);
      const watch = instance.cliInBackground(['watch', 'all', '--mount', '--json']);
      await within(10_000, 'the probe passing', async () => (await probe()).exitCode === 0);
      watch.kill('SIGTERM');
      expect((await watch).exitCode).to.equal(0);
      expect((await probe()).exitCode).to.equal(0);
    } finally {
      await instance.stop();
    }
  });

  it('the Dockerfile sets installer mode and the CLI as entrypoint, with the base image a build argument', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).to.match(/^ARG BASE=/m);
    expect(dockerfile).to.match(/^FROM \$\{BASE\} AS qemu$/m);
    // The image holds the files it needs and nothing else: no shell, no package manager.
    expect(dockerfile).to.match(/^FROM scratch$/m);
    expect(dockerfile).to.match(/^ENV QEMU_BINFMT_INSTALLER=1$/m);
    expect(dockerfile).to.match(/^ENTRYPOINT \["node", "\/opt\/qemu-binfmt\/dist\/cli.js"\]$/m);
  });
});
