import { conditionText } from '../conditions.js';
import { doctor, type DoctorOptions } from '../operations/doctor.js';
import { defineCommand, exactly } from './command.js';
import { envelope, finding } from './json.js';
import { write, writeJson } from './output.js';

export const doctorCommand = defineCommand({
  name: 'doctor',
  describe:
    'Check the whole system: kernel, binfmt_misc, every qemu entry and its interpreter, other handlers, boot and build-daemon settings (read-only)',
  positionals: [],
  options: ['binfmt-dir', ['json', 'print JSON']],
  run: async ({ options: { json, ...options } }, io) => {
    const report = await doctor(exactly<DoctorOptions>()(options));
    if (json)
      writeJson(
        io,
        envelope(
          'doctor',
          report.facts,
          [...report.problems, ...report.warnings].map((c) => finding(c)),
          {},
        ),
      );
    else {
      const stdout = [
        ...report.facts.map((f) => `- ${f}`),
        ...report.warnings.map((w) => `WARNING: ${conditionText(w)}`),
        ...report.problems.flatMap((p) => [`PROBLEM: ${p.problem}`, `  fix: ${p.fix}`]),
      ];
      stdout.push(report.ok ? 'no problem found' : `${report.problems.length} problem(s) found`);
      write(io, { stdout, stderr: [] });
    }
    return report.ok ? 0 : 1;
  },
});
