import { expect } from 'chai';
import { formatReport, formatStatus } from '../../src/commands/render.js';
import type { Report } from '../../src/operations/report.js';
import type { StatusReport } from '../../src/operations/status.js';

describe('commands/render', () => {
  it('prints one line per platform, the hint under a failure, and the count on stderr', () => {
    const report: Report = {
      command: 'enable',
      dryRun: false,
      binfmtDir: '/b',
      ok: false,
      results: [
        { platform: 'aarch64', entry: 'qemu-aarch64', outcome: 'enabled', interpreter: '/q', flags: 'PF', warnings: [] },
        {
          platform: 'arm',
          entry: 'qemu-arm',
          outcome: 'failed',
          error: { code: 'EXISTS_DIFFERENT', message: 'entry qemu-arm exists and differs', hint: 'add --force' },
          warnings: [{ code: 'OVERLAPS', severity: 'warning', problem: 'w' }],
        },
        { platform: 'ppc', entry: 'qemu-ppc', outcome: 'absent', warnings: [] },
      ],
      skipped: [{ platform: 'x86_64', reason: 'native', detail: '' }],
      conditions: [
        { code: 'MOUNTED_NOW', severity: 'notice', problem: 'n' },
        { code: 'CREDENTIALS', severity: 'warning', problem: 'c', fix: 'f' },
      ],
    };
    expect(formatReport(report)).to.deep.equal({
      stdout: [
        'qemu-aarch64: enabled: /q flags=PF',
        'qemu-arm: failed: entry qemu-arm exists and differs',
        '  hint: add --force',
        'not registered (nothing to remove): ppc',
        'skipped (native on this host): x86_64',
      ],
      stderr: ['notice: n', 'warning: c; f', 'warning: w', 'qemu-binfmt: 1 of 3 failed'],
    });
  });

  it('says when binfmt_misc is switched off as a whole', () => {
    const report: StatusReport = {
      binfmtDir: '/b',
      mounted: true,
      kernelEnabled: false,
      privateNamespace: false,
      platforms: [],
      foreign: [],
      conditions: [],
    };
    expect(formatStatus(report, false).stdout[0]).to.equal('binfmt_misc: /b (DISABLED: no entry is used)');
  });
});
