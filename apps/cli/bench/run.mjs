// The `nqc` command end to end against Debian's `age` on the same file in the same run: wall time and
// peak resident memory of the whole process (GNU time's %e and %M), best of N runs.
//   pnpm --filter @nqc/cli bench                 (sizes in MiB: NQC_BENCH_SIZES=256,1024; runs: NQC_BENCH_RUNS=3)
// Rows: age; nqc with NDE off; nqc with its defaults (NDE on, the default version: v2); and, when the
// command has --nde-version, NDE v1 explicitly. Files live in tmpfs (/dev/shm when it exists,
// else the temp dir; NQC_BENCH_DIR overrides) and are deleted at the end, also on SIGINT/SIGTERM.
// Goals (issue 11): defaults <= 2.0x age's time, peak RSS <= 300 MiB.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nqcBin = fileURLToPath(new URL('../bin/nqc.js', import.meta.url));
const dir = mkdtempSync(join(process.env.NQC_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'nqc-cli-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const MiB = 1 << 20;
const sizes = (process.env.NQC_BENCH_SIZES ?? '256,1024').split(',').map(Number);
const runs = Number(process.env.NQC_BENCH_RUNS ?? 3);

function sh(cmd) {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
}
if (sh('command -v age && command -v age-keygen && test -x /usr/bin/time').status !== 0) {
  console.error('nqc cli bench: needs age, age-keygen and GNU time (/usr/bin/time). On Debian/Ubuntu: sudo apt-get install -y age time');
  process.exit(2);
}

/**
 * Runs a shell command under GNU time: wall seconds, peak RSS (MiB) and CPU seconds (user + system,
 * all threads): on a shared machine CPU time depends much less on the load than wall time.
 */
function timed(cmd) {
  const r = sh(`/usr/bin/time -f '%e %M %U %S' -o ${dir}/time.txt sh -c '${cmd}'`);
  if (r.status !== 0) throw new Error(`failed: ${cmd}\n${r.stderr}`);
  const [s, kb, user, sys] = readFileSync(join(dir, 'time.txt'), 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { s, rss: kb / 1024, cpu: user + sys, sys };
}
const best = (cmd) => {
  let b;
  for (let i = 0; i < runs; i++) {
    const r = timed(cmd);
    if (!b || r.s < b.s) b = r;
  }
  return b;
};

function input(mib) {
  const p = join(dir, `in-${mib}.bin`);
  if (existsSync(p) && statSync(p).size === mib * MiB) return p;
  const fd = openSync(p, 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
  return p;
}

rmSync(join(dir, 'id.key'), { force: true });
execFileSync(process.execPath, [nqcBin, 'keygen', '-o', join(dir, 'id.key')], { stdio: 'ignore' });
const recipient = execFileSync(process.execPath, [nqcBin, 'keygen', '-y', join(dir, 'id.key')], { encoding: 'utf8' }).split('\n')[0];
rmSync(join(dir, 'age.key'), { force: true });
execFileSync('age-keygen', ['-o', join(dir, 'age.key')], { stdio: 'ignore' });
const ageRecipient = readFileSync(join(dir, 'age.key'), 'utf8').match(/public key: (age1\w+)/)[1];

const nqc = `${process.execPath} ${nqcBin}`;
const encryptHelp = execFileSync(process.execPath, [nqcBin, 'encrypt', '--help'], { encoding: 'utf8' });
const hasNdeVersion = encryptHelp.includes('--nde-version');
const cpuFlags = (() => {
  try {
    const f = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    return [['avx2', 'AVX2'], ['avx512f', 'AVX-512F'], ['avx512_vnni', 'AVX-512 VNNI'], ['avx_vnni', 'AVX-VNNI']].filter(([k]) => f.has(k)).map(([, n]) => n).join(', ') || 'no AVX2';
  } catch {
    return 'CPU features unknown';
  }
})();
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim() ?? '';
const before = uptime();
const rows = [];
for (const mib of sizes) {
  const inp = input(mib);
  const out = join(dir, 'out');
  const enc = join(dir, 'enc');
  const clean = () => rmSync(out, { force: true }) ?? rmSync(enc, { force: true });
  const measure = (label, encCmd, decCmd) => {
    let e, d;
    for (let i = 0; i < runs; i++) {
      clean();
      const re = timed(encCmd);
      rmSync(out, { force: true });
      const rd = timed(decCmd);
      if (i === 0 && sh(`cmp -s ${inp} ${out}`).status !== 0) throw new Error(`${label}: the decrypted file differs from the input`);
      if (!e || re.s < e.s) e = re;
      if (!d || rd.s < d.s) d = rd;
    }
    return { label, e, d };
  };
  const age = measure('age 1.1.1', `age -r ${ageRecipient} -o ${enc} ${inp}`, `age -d -i ${dir}/age.key -o ${out} ${enc}`);
  const off = measure('nqc, NDE off', `${nqc} encrypt --nde off -r ${recipient} -o ${enc} ${inp}`, `${nqc} decrypt -i ${dir}/id.key -o ${out} ${enc}`);
  const on = measure('nqc, defaults (NDE on)', `${nqc} encrypt -r ${recipient} -o ${enc} ${inp}`, `${nqc} decrypt -i ${dir}/id.key -o ${out} ${enc}`);
  // The defaults write NDE v2; v1 (still written on request, and what older envelopes hold) for comparison.
  const versions = hasNdeVersion
    ? [measure('nqc, NDE v1 (--nde-version 1)', `${nqc} encrypt --nde-version 1 -r ${recipient} -o ${enc} ${inp}`, `${nqc} decrypt -i ${dir}/id.key -o ${out} ${enc}`)]
    : [];
  clean();
  rmSync(inp, { force: true });
  for (const r of [age, off, on, ...versions]) rows.push({ mib, ...r, ratioE: r.e.s / age.e.s, ratioD: r.d.s / age.d.s });
}

console.log(`\nnqc CLI vs age, file to file in ${dir}, best of ${runs}; ${cpus()[0]?.model ?? 'cpu'} (${cpuFlags}), ${cpus().length} cores, Node ${process.versions.node}`);
console.log(`before: ${before}\nafter:  ${uptime()}`);
if (!hasNdeVersion) console.log('note: this nqc has no --nde-version: the NDE v1 row is skipped');
console.log('');
console.log('| size | tool | encrypt MB/s | decrypt MB/s | encrypt time / age | decrypt time / age | CPU-s enc / dec (sys) | CPU time / age enc / dec | peak RSS enc / dec (MiB) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const mbs = (s) => ((r.mib * MiB) / 1e6 / s).toFixed(0);
  const age = rows.find((x) => x.mib === r.mib && x.label.startsWith('age'));
  const cpu = `${r.e.cpu.toFixed(2)} (${r.e.sys.toFixed(2)}) / ${r.d.cpu.toFixed(2)} (${r.d.sys.toFixed(2)})`;
  const cpuRatio = `${(r.e.cpu / age.e.cpu).toFixed(2)}x / ${(r.d.cpu / age.d.cpu).toFixed(2)}x`;
  console.log(`| ${r.mib} MiB | ${r.label} | ${mbs(r.e.s)} | ${mbs(r.d.s)} | ${r.ratioE.toFixed(2)}x | ${r.ratioD.toFixed(2)}x | ${cpu} | ${cpuRatio} | ${r.e.rss.toFixed(0)} / ${r.d.rss.toFixed(0)} |`);
}
const def = rows.filter((r) => r.label.startsWith('nqc, defaults'));
const worst = Math.max(...def.flatMap((r) => [r.ratioE, r.ratioD]));
const rss = Math.max(...def.flatMap((r) => [r.e.rss, r.d.rss]));
console.log(`\ngoals: defaults <= 2.0x age: worst ratio ${worst.toFixed(2)}x (${worst <= 2 ? 'met' : `not met by ${(worst / 2).toFixed(2)}x`}); peak RSS <= 300 MiB: ${rss.toFixed(0)} MiB (${rss <= 300 ? 'met' : 'not met'})`);
