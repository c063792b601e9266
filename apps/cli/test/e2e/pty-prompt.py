# Runs `nqc ARGS...` on a pseudo-terminal (its controlling terminal, so /dev/tty is the pty), waits for
# each prompt, types the answers, and prints one JSON line: ms from spawn to the first prompt, the
# exit status and the terminal output. Used by prompt-pty.test.ts; also handy by hand:
#   python3 pty-prompt.py 'pw' 'pw' -- node bin/nqc.js encrypt -p -o x.nqc x
import json, os, pty, re, select, sys, time

sep = sys.argv.index('--')
answers, argv = sys.argv[1:sep], sys.argv[sep + 1:]
start = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
first_prompt_ms = None
pending = list(answers)
deadline = start + float(os.environ.get('PTY_TIMEOUT', '60'))
status = None
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b''
        if not chunk:
            break
        out += chunk
        # Type each answer as soon as the prompt before it shows: the process is still loading then.
        while pending and len(re.findall(rb'[Pp]assphrase[^\r\n]*: ', out)) > len(answers) - len(pending):
            if first_prompt_ms is None:
                first_prompt_ms = (time.monotonic() - start) * 1000
            os.write(fd, pending.pop(0).encode() + b'\r')
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        try:
            while True:
                r, _, _ = select.select([fd], [], [], 0.1)
                if not r:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        break
if status is None:
    os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(st)
print(json.dumps({'firstPromptMs': first_prompt_ms, 'status': status, 'output': out.decode('utf8', 'replace')}))
