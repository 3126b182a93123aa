import { explain, type ExplainOptions } from '../operations/explain.js';
import { defineCommand, exactly } from './command.js';
import { explainEnvelope } from './json.js';
import { write, writeJson } from './output.js';
import { formatExplanations } from './render.js';

export const explainCommand = defineCommand({
  name: 'explain',
  describe: 'Why a program runs here or not (Exec format error, No such file or directory): read-only, it never runs the file',
  positionals: [{ name: 'files', variadic: true, demand: true, describe: 'programs or scripts' }],
  options: ['binfmt-dir', ['root', 'the root the program runs in (a chroot or image tree) [default: /]'], ['json', 'print JSON']],
  run: async ({ files, options: { json, ...options } }, io) => {
    const explanations = await explain(files, exactly<ExplainOptions>()(options));
    if (json) writeJson(io, explainEnvelope(explanations));
    else write(io, formatExplanations(explanations));
    return explanations.every((e) => e.runs) ? 0 : 1;
  },
});
