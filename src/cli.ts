import { VERSION } from './version';

const HELP = `vma-harness ${VERSION} - TypeScript port of Linux v6.15 mm/vma.c and its userland test harness

Usage:
  vma-harness --help       show this help
  vma-harness --version    print the version
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  process.stderr.write(`vma-harness: unknown command '${cmd}' (try --help)\n`);
  return 2;
}
