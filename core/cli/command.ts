/**
 * The command-line conventions every `jieneng` command follows (issue 16), in one place instead of a copy per
 * component: `--help` (or `-h`) at any level prints help to stdout and exits 0; an unknown option, a missing or
 * unknown subcommand or a bad value is one line on stderr naming the command, and exit 2. Commands are declared as
 * data — a group of subcommands, or a leaf with its option table and its body — and `runCommand` walks them
 * (decision 0010).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The option table of node:util's parseArgs. */
export type Options = NonNullable<ParseArgsConfig['options']>;

type Config<O extends Options> = { args: string[]; options: O; allowPositionals: true; strict: true };
/** What parseArgs gives a leaf with option table O. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** A mistake in how the command was called: one line on stderr and exit 2. `message` needs no command name. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that does the work: its options and its body. */
export interface Leaf<O extends Options = Options> {
  kind: 'leaf';
  /** one line, shown in its group's list and atop its help */
  summary: string;
  /** what follows the command's name, e.g. `--site FILE [--data DIR]`; several lines for alternative forms */
  usage: string;
  /** more help: the options and environment explained */
  details?: string;
  options: O;
  /** takes operands besides options (e.g. `keys revoke <id>`); otherwise one is a usage error */
  positionals?: boolean;
  /** the body; throws UsageError for a bad value, returns the exit code */
  run(args: Parsed<O>): Promise<number>;
}

/** A command that only names subcommands. */
export interface Group {
  kind: 'group';
  summary: string;
  details?: string;
  commands: Record<string, Command>;
}

/** A command whose module is imported only when it is run or its own help is asked for. */
export interface Lazy {
  kind: 'lazy';
  summary: string;
  load(): Promise<Command>;
}

export type Command = Leaf<any> | Group | Lazy; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A leaf; the option table's literal types give `run` typed values. */
export function leaf<const O extends Options>(spec: Omit<Leaf<O>, 'kind'>): Leaf<O> {
  return { kind: 'leaf', ...spec };
}

/** A group of subcommands. */
export function group(spec: Omit<Group, 'kind'>): Group {
  return { kind: 'group', ...spec };
}

/** A subcommand loaded on use. */
export function lazy(summary: string, load: () => Promise<Command>): Lazy {
  return { kind: 'lazy', summary, load };
}

/** Resolves on the first SIGINT or SIGTERM: a long-running command's body awaits it, then stops what it started. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** The help text of a group: its subcommands with their summaries. */
function groupHelp(name: string, g: Group): string {
  const names = Object.keys(g.commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `usage: ${name} <command> [options]`, '', g.summary, ...(g.details ? ['', g.details] : []), '', 'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${g.commands[n].summary}`),
    '', `'${name} <command> --help' shows a command's options.`, '',
  ].join('\n');
}

/** The help text of a leaf. */
function leafHelp(name: string, l: Leaf): string {
  const forms = l.usage.split('\n').map((u, i) => `${i === 0 ? 'usage:' : '      '} ${name}${u ? ` ${u}` : ''}`);
  return [...forms, '', l.summary, ...(l.details ? ['', l.details] : []), '', '  -h, --help  this help', ''].join('\n');
}

/** parseArgs with the table of `l` plus --help; a parse error becomes a UsageError. Undefined: help asked for. */
function parseLeaf(l: Leaf, argv: string[]): Parsed<Options> | undefined {
  let parsed: Parsed<Options>;
  try {
    parsed = parseArgs({ args: argv, options: { ...l.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // node's messages are one line plus advice on '--' that does not apply here: keep the first sentence
    throw new UsageError((err as Error).message.split('. To specify')[0].replace(/\.$/, ''));
  }
  if (parsed.values.help) return undefined;
  delete parsed.values.help;
  return parsed;
}

/**
 * Run `cmd`, called `name` (e.g. `jieneng gateway`), with `argv`: dispatch to subcommands, print help, report usage
 * errors as one line on stderr; returns the exit code. Other errors propagate to the caller.
 */
export async function runCommand(cmd: Command, name: string, argv: string[]): Promise<number> {
  if (cmd.kind === 'lazy') return runCommand(await cmd.load(), name, argv);
  try {
    if (cmd.kind === 'group') {
      const [sub, ...rest] = argv;
      if (isHelp(sub)) {
        process.stdout.write(groupHelp(name, cmd));
        return 0;
      }
      if (sub === undefined || sub.startsWith('-')) {
        throw new UsageError(sub === undefined ? 'a command is missing' : `unknown option '${sub}' before the command`);
      }
      const next = Object.hasOwn(cmd.commands, sub) ? cmd.commands[sub] : undefined;
      if (!next) throw new UsageError(`unknown command '${sub}'`);
      return await runCommand(next, `${name} ${sub}`, rest);
    }
    const parsed = parseLeaf(cmd, argv);
    if (!parsed) {
      process.stdout.write(leafHelp(name, cmd));
      return 0;
    }
    if (parsed.positionals.length > 0 && !cmd.positionals) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    return await cmd.run(parsed);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${name}: ${err.message} ('${name} --help' shows the usage)\n`);
    return 2;
  }
}
