import type { Command } from 'commander';
import { readFileSync, unlinkSync } from 'node:fs';
import { isEncryptedIdentityFile } from '@nqc/pql';
import { startAgent } from '@nqc/agents/custody';
import { note, type CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { defaultAgentSocket } from '../agent/client.js';
import { onCleanup } from '../io/cleanup.js';
import { readPassphrase } from '../io/passphrase.js';
import { escapeForTerminal } from '../io/terminal.js';
import { parseFd } from '../keys.js';
import { repeatable } from '../recipients.js';

interface AgentFlags {
  socket?: string;
  identity?: string[];
  keyset?: string;
  passphraseFd?: number;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * `nqc agent`: runs the key-custody agent of `@nqc/agents` in the foreground. It loads the identity
 * files (and keyset), unlocked once, and answers sign / unwrap / decapsulate / list over a Unix socket
 * (0600, in a 0700 directory of this user) until SIGINT, SIGTERM, SIGHUP or SIGQUIT; then it closes
 * and removes its socket and exits 0. Other commands use it with `-i agent:` and `-s agent:`.
 */
export function registerAgent(program: Command, ctx: CliContext): void {
  program
    .command('agent')
    .description('run the key-custody agent in the foreground: holds identities and signing keys, unlocked once, for -i agent: and -s agent:')
    .option('--socket <PATH>', 'socket to listen on (default: $NQC_AGENT_SOCK, else $XDG_RUNTIME_DIR/nqc/agent.sock); its directory must be yours and mode 0700, or absent')
    .option('-i, --identity <FILE>', 'identity file to hold (must be chmod 600); repeatable', repeatable)
    .option('--keyset <FILE>', 'a keyset file (JSON) to hold (must be chmod 600)')
    .option('--passphrase-fd <N>', 'read the identity files\' passphrase from file descriptor N (asked once, for all of them)', parseFd)
    .action(async (flags: AgentFlags) => {
      if (!flags.identity?.length && flags.keyset === undefined) throw usageError('no keys: give at least one -i IDENTITY_FILE or --keyset FILE');
      if (flags.identity?.includes('-')) throw usageError('the agent reads its identity files by name: stdin (-) is not accepted');
      const socketPath = flags.socket ?? defaultAgentSocket();
      const identityFiles = flags.identity ?? [];
      const passphrase = identityFiles.some((f) => isEncryptedIdentityFile(readFileSync(f, 'utf8').slice(0, 1 << 20)))
        ? await readPassphrase({ fd: flags.passphraseFd, prompt: 'Passphrase for the agent\'s identity files: ' })
        : undefined;
      const agent = await startAgent({ socketPath, identityFiles, ...(flags.keyset !== undefined ? { keysetFile: flags.keyset } : {}), ...(passphrase !== undefined ? { passphrase } : {}) });
      // Should the process end some other way, the socket goes with it.
      const release = onCleanup(() => {
        try {
          unlinkSync(agent.socketPath);
        } catch {
          // already gone
        }
      });
      note(ctx, `nqc: agent listening on ${escapeForTerminal(agent.socketPath)} (use -i agent:${escapeForTerminal(agent.socketPath)}, or NQC_AGENT_SOCK)`);
      // A long-running service, not a one-shot command: a stop signal is its normal end (exit 0), not an
      // interruption (the one-shot handlers' "interrupted", exit 130). They are set aside while it runs.
      const saved = STOP_SIGNALS.map((s) => [s, process.listeners(s)] as const);
      for (const s of STOP_SIGNALS) process.removeAllListeners(s);
      try {
        const signal = await new Promise<string>((resolve) => {
          for (const s of STOP_SIGNALS) process.once(s, () => resolve(s));
        });
        note(ctx, `nqc: agent stopping (${signal})`);
        await agent.close();
      } finally {
        release();
        for (const s of STOP_SIGNALS) process.removeAllListeners(s);
        for (const [s, listeners] of saved) for (const l of listeners) process.on(s, l as () => void);
      }
    });
}
