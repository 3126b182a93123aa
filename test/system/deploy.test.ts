import { expect } from 'chai';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/paths.js';

const load = (name: string) => parse(readFileSync(join(ROOT, 'deploy', name), 'utf8'));

describe('fleet deployment (deploy/)', () => {
  it('the DaemonSet is valid against the Kubernetes schema', () => {
    const daemonSet = new DaemonSet(load('daemonset.yaml'));
    expect(() => daemonSet.validate()).to.not.throw();
  });

  it('the DaemonSet runs enable all in a privileged init container, keeps the pod with pause, and tolerates every taint', () => {
    const spec = load('daemonset.yaml').spec.template.spec;
    expect(spec.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    expect(spec.initContainers).to.have.length(1);
    expect(spec.initContainers[0]).to.deep.include({ args: ['enable', 'all', '--json'], securityContext: { privileged: true } });
    expect(spec.containers.map((c: { image: string }) => c.image)).to.deep.equal(['registry.k8s.io/pause:3.10']);
  });

  it('the Compose service runs the same command, privileged, once', () => {
    const service = load('compose.yaml').services['qemu-binfmt'];
    expect(service).to.deep.equal({ image: 'qemu-binfmt:latest', command: ['enable', 'all', '--json'], privileged: true, restart: 'no' });
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
