import { validateAction } from '@action-validator/core';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/paths.js';

/** action.yml checked offline: against the Actions metadata schema, and for what the script expects of it. */
const TEXT = readFileSync(join(ROOT, 'action.yml'), 'utf8');
const SCRIPT = readFileSync(join(ROOT, 'scripts/action.sh'), 'utf8');

interface Step {
  id?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}
const action = parse(TEXT) as Action;

describe('action.yml', () => {
  it('is valid against the GitHub Actions action schema', () => {
    expect(validateAction(TEXT).errors).to.deep.equal([]);
  });

  it('the validator rejects what GitHub would (a composite step without shell, an output without value)', () => {
    const noShell = TEXT.replace(/^ {6}shell: sh\n/m, '');
    const noValue = TEXT.replace(/^ {4}value: .*\n/m, '');
    expect(noShell).to.not.equal(TEXT);
    expect(noValue).to.not.equal(TEXT);
    expect(validateAction(noShell).errors).to.not.deep.equal([]);
    expect(validateAction(noValue).errors).to.not.deep.equal([]);
  });

  it('has the inputs platforms (all), emulators (packages) and verify (true), none required', () => {
    expect(Object.keys(action.inputs)).to.deep.equal(['platforms', 'emulators', 'verify']);
    expect(action.inputs.platforms).to.include({ default: 'all', required: false });
    expect(action.inputs.emulators).to.include({ default: 'packages', required: false });
    expect(action.inputs.verify).to.include({ default: 'true', required: false });
  });

  it('is one composite step that runs scripts/action.sh, with every input passed as an environment variable', () => {
    expect(action.runs.using).to.equal('composite');
    expect(action.runs.steps).to.have.length(1);
    const [step] = action.runs.steps;
    expect(step).to.deep.include({ id: 'enable', shell: 'sh', run: 'sh "${{ github.action_path }}/scripts/action.sh"' });
    for (const name of Object.keys(action.inputs)) {
      const variable = `INPUT_${name.toUpperCase()}`;
      expect(step!.env?.[variable]).to.equal(`\${{ inputs.${name} }}`);
      expect(SCRIPT).to.include(`\${${variable}`);
    }
    // Never interpolated into the script text, where a value could become shell code.
    expect(step!.run).to.not.include('inputs.');
  });

  it("its output platforms is the step's output, which the script writes to GITHUB_OUTPUT", () => {
    expect(action.outputs).to.deep.equal({
      platforms: { description: 'The platforms registered, space separated', value: '${{ steps.enable.outputs.platforms }}' },
    });
    expect(SCRIPT).to.include(`printf 'platforms=%s\\n' "$registered" >>"$GITHUB_OUTPUT"`);
  });
});
