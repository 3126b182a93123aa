import { lockOf, provenance } from '../operations/provenance.js';
import { defineCommand } from './command.js';
import { writeJson } from './output.js';

export const lockCommand = defineCommand({
  name: 'lock',
  describe: "Print a lock of what is registered (each interpreter's QEMU version, SHA-256, size, package): qemu-binfmt lock all > FILE",
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases, or all [default: all]' }],
  options: ['binfmt-dir'],
  run: async ({ platforms, options }, io) => {
    const facts = await provenance(platforms, options);
    writeJson(io, lockOf(facts));
    return 0;
  },
});
