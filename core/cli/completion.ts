/**
 * Shell completion for a command tree (core/cli/command.ts): `jieneng completion bash` prints a bash script that
 * completes subcommand names, each command's options, and file names after an option that takes a value. The
 * script is generated from the tree itself, so a new command or option completes without a change here; zsh
 * runs it after `autoload -U bashcompinit && bashcompinit`.
 */
import { leaf, UsageError, type Command, type Options } from './command.ts';

/** What the script knows of one command: the words that may follow it, and its options that take a value. */
interface Node {
  path: string;
  words: string[];
  valued: string[];
  leaf: boolean;
}

/** Every command under `cmd` (lazy modules loaded), by its path: the program's name and its subcommands' (bash has no empty key). */
async function nodes(cmd: Command, path: string, out: Node[] = []): Promise<Node[]> {
  if (cmd.kind === 'lazy') return nodes(await cmd.load(), path, out);
  if (cmd.kind === 'group') {
    out.push({ path, words: [...Object.keys(cmd.commands), '--help'], valued: [], leaf: false });
    for (const [name, sub] of Object.entries(cmd.commands)) await nodes(sub, `${path} ${name}`, out);
  } else {
    const options = cmd.options as Options;
    const long = Object.keys(options).map((o) => `--${o}`);
    out.push({ path, words: [...long, '--help'], valued: long.filter((o) => options[o.slice(2)].type === 'string'), leaf: true });
  }
  return out;
}

/** A word as a bash single-quoted string. */
const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The bash completion script of the tree `root`, installed for the program `program`; `globalValued` are options
 * every command takes with a value (the program strips them before dispatch).
 */
export async function bashCompletion(root: Command, program: string, globalValued: string[] = []): Promise<string> {
  const all = await nodes(root, program);
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const words = all.map((n) => `  [${quoted(n.path)}]=${quoted([...n.words, ...(n.leaf ? globalValued : [])].join(' '))}`);
  const valued = all.flatMap((n) => [...n.valued, ...globalValued].map((o) => `  [${quoted(`${n.path} ${o}`)}]=1`));
  return `# bash completion for ${program}: eval "$(${program} completion bash)", e.g. in ~/.bashrc
declare -gA ${fn}_words=(
${words.join('\n')}
)
declare -gA ${fn}_valued=(
${valued.join('\n')}
)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path=${quoted(program)} w
  # the command's path: the words so far that name a subcommand of the path before them
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    [[ -n \${${fn}_words["\$path \$w"]+set} ]] && path="\$path \$w"
  done
  if [[ -n \${${fn}_valued["\$path \$prev"]+set} ]]; then
    COMPREPLY=(\$(compgen -f -- "\$cur"))
  else
    COMPREPLY=(\$(compgen -W "\${${fn}_words["\$path"]}" -- "\$cur"))
  fi
}
complete -o filenames -F ${fn} ${program}
`;
}

/** `<program> completion <shell>`: prints the completion script of the tree `root()` (a function: the tree holds this command). */
export function completionCommand(root: () => Command, program: string, globalValued: string[] = []) {
  return leaf({
    summary: 'print a shell completion script',
    usage: 'bash',
    details: `Add to ~/.bashrc: eval "$(${program} completion bash)". zsh: autoload -U bashcompinit && bashcompinit, then the same.`,
    options: {},
    positionals: true,
    async run({ positionals }) {
      if (positionals.length !== 1 || positionals[0] !== 'bash') throw new UsageError(positionals.length === 0 ? 'a shell is missing (bash)' : `no completion for '${positionals.join(' ')}' (bash)`);
      process.stdout.write(await bashCompletion(root(), program, globalValued));
      return 0;
    },
  });
}
