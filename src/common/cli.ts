/**
 * Runs a CLI's main and exits with its code. Exit 2 for usage errors (commander prints them) and
 * unexpected failures, with a one-line message: no stack traces for operators.
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>, expected?: (e: unknown) => string | undefined): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(0);
      if (typeof code === 'string' && code.startsWith('commander.')) process.exit(2);
      console.error(expected?.(e) ?? `${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
