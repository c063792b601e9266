// The main entry must stay browser-safe: no node: imports anywhere in its module graph (the node:http
// middleware and the fastify plugin live in their own entries).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

function graph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s(?!type\b)[^;]*?from\s+'(\.\/[^']+)\.js'/gms)) graph(`${m[1]!.slice(2)}.ts`, seen);
  return seen;
}

describe('browser safety of @nqc/channel', () => {
  it('no file reachable from src/index.ts imports node: modules, fastify or ws at run time', () => {
    const files = [...graph('index.ts')];
    expect(files).toContain('client.ts');
    expect(files).toContain('socket.ts');
    expect(files).not.toContain('node.ts');
    expect(files).not.toContain('fastify.ts');
    for (const f of files) {
      const text = readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');
      expect(`${f}: ${/^import\s(?!type\b)[^;]*?from\s+'(node:[^']+|fastify|ws)'/ms.exec(text)?.[1] ?? 'ok'}`).toBe(`${f}: ok`);
    }
  });
});
