// `-i agent:` and `-s agent:`: identities and signers held by a running `nqc agent` (the custody agent
// of @nqc/agents), reached over its owner-only Unix socket. No secret key enters this process.
import { isAbsolute, join, resolve } from 'node:path';
import { agentIdentity, agentSigner, CustodyClient, type AgentSigner } from '@nqc/agents/custody';
import type { AsyncIdentity } from '@nqc/core';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { escapeForTerminal } from '../io/terminal.js';

/** What names an agent in `-i` and `-s`: `agent:` (the default socket), `agent:PATH`, `agent:KEYID` (`-s` only). */
export const AGENT_PREFIX = 'agent:';

/** True when an `-i` / `-s` value names the agent rather than a file (`./agent:x` names a file). */
export function isAgentRef(value: string): boolean {
  return value.startsWith(AGENT_PREFIX);
}

/**
 * The agent's socket when none is named: `$NQC_AGENT_SOCK`, else `$XDG_RUNTIME_DIR/nqc/agent.sock`.
 * @throws CliError `ERR_CLI_AGENT` when neither is set
 */
export function defaultAgentSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NQC_AGENT_SOCK) return env.NQC_AGENT_SOCK;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'nqc', 'agent.sock');
  throw new CliError('ERR_CLI_AGENT', 'no agent socket: give agent:PATH, or set NQC_AGENT_SOCK (or XDG_RUNTIME_DIR)');
}

const clients = new Map<string, Promise<CustodyClient>>();

/** One connection per socket for the whole command; closed by {@link closeAgentClients}. */
function connect(ctx: CliContext, socket: string): Promise<CustodyClient> {
  const path = isAbsolute(socket) ? socket : resolve(ctx.cwd, socket);
  let c = clients.get(path);
  if (c === undefined) {
    c = CustodyClient.connect(path).catch((error: unknown) => {
      clients.delete(path);
      const why = (error as { cause?: { code?: string } })?.cause?.code;
      throw new CliError('ERR_CLI_AGENT', `cannot reach the nqc agent at ${escapeForTerminal(path)}${why ? ` (${why})` : ''}: start it with \`nqc agent\`, or name its socket (-i agent:PATH, NQC_AGENT_SOCK)`);
    });
    clients.set(path, c);
  }
  return c;
}

/** Closes every agent connection this command opened (the process can then exit). */
export function closeAgentClients(): void {
  for (const c of clients.values()) c.then((client) => client.close(), () => undefined);
  clients.clear();
}

/**
 * `-i agent:` / `-i agent:PATH`: an identity answered by the agent (every enabled decryption key it holds).
 * @throws CliError `ERR_CLI_AGENT` when the agent cannot be reached or holds no decryption key
 */
export async function agentIdentities(ctx: CliContext, ref: string): Promise<AsyncIdentity[]> {
  const rest = ref.slice(AGENT_PREFIX.length);
  const client = await connect(ctx, rest === '' ? defaultAgentSocket() : rest);
  const keys = await client.listKeys();
  if (!keys.some((k) => k.purpose === 'encrypt' && (k.status === 'primary' || k.status === 'enabled'))) {
    throw new CliError('ERR_CLI_AGENT', 'the nqc agent holds no decryption key');
  }
  return [agentIdentity(client)];
}

/**
 * `-s agent:` (the agent's only or primary signing key), `-s agent:KEYID` (8 hex digits), or
 * `-s agent:PATH` (another socket), at the default socket unless a PATH is given.
 * @throws CliError `ERR_CLI_AGENT` when unreachable; NqcAgentsError `ERR_AGENTS_KEY` when no such key
 */
export async function agentSigningKey(ctx: CliContext, ref: string): Promise<AgentSigner> {
  const rest = ref.slice(AGENT_PREFIX.length);
  const keyId = /^[0-9a-f]{8}$/.test(rest) ? rest : undefined;
  const socket = rest === '' || keyId !== undefined ? defaultAgentSocket() : rest;
  return agentSigner(await connect(ctx, socket), keyId);
}
